package bpfsampler

import (
	"fmt"
	"os"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

const (
	defaultStacks = 16384   // distinct stacks per generation by default (17 MiB each)
	maxStacks     = 1 << 22 // at most
	maxChildren   = 8192    // live processes started by PID targets that are followed
	timedRecord   = 120     // bytes per timed sample in the ring, with its header
	// blocksPerCPU sizes the timed ring of off-CPU recording: blocks a
	// second a CPU (a pipe ping-pong does more, and loses timed records,
	// counted, beyond the ring).
	blocksPerCPU = 20000
	timedSeconds = 2 // seconds of timed samples the ring holds
	timedMinRing = 256 << 10
	timedMaxRing = 64 << 20
)

// configure sizes spec's maps and sets its constants for cfg.
func configure(spec *ebpf.CollectionSpec, cfg sampler.Config, ncpu int) error {
	n := uint32(min(cfg.MaxStacks, maxStacks))
	if cfg.MaxStacks <= 0 {
		n = defaultStacks
	}
	for _, name := range []string{bpf.ProfileMapStacks0, bpf.ProfileMapStacks1, bpf.ProfileMapCounts0, bpf.ProfileMapCounts1, bpf.ProfileMapBlocked} {
		spec.Maps[name].MaxEntries = n
	}
	spec.Maps[bpf.ProfileMapPids].MaxEntries = 1
	if len(cfg.PIDs) > 0 {
		spec.Maps[bpf.ProfileMapPids].MaxEntries = uint32(len(cfg.PIDs) + maxChildren)
	}
	if cfg.OnNewProcess == nil {
		spec.Maps[bpf.ProfileMapSeen].MaxEntries = 1
		spec.Maps[bpf.ProfileMapProcessEvents].MaxEntries = uint32(os.Getpagesize())
	}
	if cfg.Unwind == nil {
		for _, name := range []string{bpf.ProfileMapUnwindTables, bpf.ProfileMapUnwindProcesses, bpf.ProfileMapRuleCache} {
			spec.Maps[name].MaxEntries = 1
		}
	}
	ring := uint32(os.Getpagesize())
	switch {
	case cfg.Timed && cfg.OffCPU != nil:
		ring = timedRingSize(max(cfg.Frequency, blocksPerCPU), ncpu)
	case cfg.Timed:
		ring = timedRingSize(cfg.Frequency, ncpu)
	}
	if cfg.OffCPU == nil {
		spec.Maps[bpf.ProfileMapBlocked].MaxEntries = 1
	}
	off := offCPUSettings(cfg.OffCPU)
	spec.Maps[bpf.ProfileMapTimedSamples].MaxEntries = ring

	consts := []struct {
		name  string
		value any
	}{
		{bpf.ProfileVarFilterPids, flag(len(cfg.PIDs) > 0)},
		{bpf.ProfileVarFilterCgroup, cfg.CgroupID},
		{bpf.ProfileVarUserStacks, flag(!cfg.KernelOnly)},
		{bpf.ProfileVarKernelStacks, flag(!cfg.UserOnly)},
		{bpf.ProfileVarIncludeIdle, flag(cfg.IncludeIdle)},
		{bpf.ProfileVarPerThread, flag(cfg.PerThread)},
		{bpf.ProfileVarTimed, flag(cfg.Timed)},
		{bpf.ProfileVarNotify, flag(cfg.OnNewProcess != nil)},
		{bpf.ProfileVarTimedWakeupBytes, uint64(ring / 4)},
		{bpf.ProfileVarCfiUnwind, flag(cfg.Unwind != nil)},
		{bpf.ProfileVarOffcpu, flag(cfg.OffCPU != nil)},
		{bpf.ProfileVarOffcpuStates, off.states},
		{bpf.ProfileVarOffcpuSkipStates, off.skipStates},
		{bpf.ProfileVarOffcpuThreads, off.threads},
		{bpf.ProfileVarOffcpuWakers, off.wakers},
		{bpf.ProfileVarMinBlock, off.minBlock},
		{bpf.ProfileVarMaxBlock, off.maxBlock},
	}
	for _, c := range consts {
		if err := spec.Variables[c.name].Set(c.value); err != nil {
			return fmt.Errorf("setting %s: %w", c.name, err)
		}
	}
	return nil
}

// flag is a C boolean.
func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// timedRingSize sizes the timed-sample ring to hold timedSeconds of
// samples at freq Hz (1000 when sampling by period) on ncpu CPUs: a power
// of two between timedMinRing and timedMaxRing.
func timedRingSize(freq uint64, ncpu int) uint32 {
	if freq == 0 {
		freq = 1000
	}
	want := freq * uint64(ncpu) * timedRecord * timedSeconds
	size := uint64(timedMinRing)
	for size < want && size < timedMaxRing {
		size <<= 1
	}
	return uint32(size)
}

// openEvents opens cfg's sampling event, disabled, on each CPU (99 Hz
// when cfg gives neither frequency nor period). On error it returns the
// events opened so far, for the caller to close.
func openEvents(cfg sampler.Config, cpus []int) ([]*perfevent.Event, error) {
	opts := perfevent.SampleOptions{Event: cfg.Event.Attr(), Frequency: cfg.Frequency, Period: cfg.Period}
	if opts.Frequency == 0 && opts.Period == 0 {
		opts.Frequency = 99
	}
	attr := opts.Attr()
	// The program takes its own stacks: a precomputed call chain would
	// hand bpf_get_stackid stacks with perf's context markers in them.
	attr.Sample_type = 0
	var events []*perfevent.Event
	for _, cpu := range cpus {
		e, err := perfevent.Open(&attr, -1, cpu)
		if err != nil {
			return events, err
		}
		events = append(events, e)
	}
	return events, nil
}
