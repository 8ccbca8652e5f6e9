package profile

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/internal/perfevent"
)

// The eBPF backend attaches internal/bpf's on_sample program to one perf
// event per CPU. The program aggregates samples in the kernel, counts keyed
// by (tgid, tid when PerThread, user stack, kernel stack), stacks in a hash
// map keyed by a hash of their frames (see profile.bpf.c), and counts in a
// per-CPU map every sample or stack it could not keep. Filters (PIDs,
// cgroup, idle) apply in the kernel. As with the perf backend's inherited
// events, the PID filter takes in the processes the targets start after
// the start (tp_btf/sched_process_fork), up to bpfMaxChildren at a time.
//
// Draining without stopping: the counts and stack maps exist twice, and an
// array map names the generation the program writes to. drain flips it,
// waits bpfGrace for programs still writing to the old generation (a
// program runs for microseconds in interrupt context), then reads and
// deletes the old counts and stacks (BatchLookupAndDelete, or iterate and
// delete on kernels without it). A count whose stack is gone by then is
// still emitted, without that stack, and counted as "user-stack-missing"
// or "kernel-stack-missing"; that happens only if a program outlasts the
// grace period, and then its sample lands in the old generation after the
// drain and is emitted by the drain after next.
//
// New processes: the program sends a process's tgid through a ring buffer
// on its first sample (an LRU "seen" map remembers it; sched_process_exit
// forgets it) and tp_btf/sched_process_exec sends it on exec; a goroutine
// calls cfg.OnNewProcess, and close waits for it to return.
//
// Timed mode: the program also writes every sample to a second ring buffer
// (waking the reader only when it is a quarter full; the reader also polls
// every bpfPollEvery); drain flushes it and emits each sample of the
// drained generation with its time and CPU, after the aggregated samples.

// bpfSampler is the running eBPF backend.
type bpfSampler struct {
	cfg samplerConfig

	objs   bpfObjects
	counts [2]*ebpf.Map
	stacks [2]*ebpf.Map
	links  []link.Link
	events []*perfevent.Event

	procs *ringbuf.Reader // nil unless cfg.OnNewProcess
	timed *bpfTimedLog    // nil unless cfg.Timed
	wg    sync.WaitGroup  // the readers' goroutines

	mu       sync.Mutex // serializes drain and close; guards below
	closed   bool
	gen      uint32                  // generation the program writes to
	failures [bpfFailureCount]uint64 // totals read at the last drain
	carry    map[string]uint64       // Go-side failures since the last drain
	buf      bpfBuffers              // drain's chunks
}

// bpfObjects are the loaded programs and maps. The constants are set
// before loading and never read back: loading them as Variables would map
// their memory until the garbage collector unmaps it, keeping the map
// alive after close.
type bpfObjects struct {
	bpf.ProfilePrograms
	bpf.ProfileMaps
}

// startBPF starts the eBPF backend.
func startBPF(cfg samplerConfig) (sampler, error) {
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; later ones
	// to the cgroup. Raising the limit needs CAP_SYS_RESOURCE, which is
	// not required otherwise.
	if err := rlimit.RemoveMemlock(); err != nil && !errors.Is(err, unix.EPERM) {
		return nil, fmt.Errorf("raising RLIMIT_MEMLOCK: %w", err)
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, err
	}
	s := &bpfSampler{cfg: cfg, carry: map[string]uint64{}}
	if err := s.load(len(cpus)); err != nil {
		s.close()
		return nil, err
	}
	if err := s.attach(cpus); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// load creates the maps and programs, fills the PID filter and starts the
// ring-buffer readers.
func (s *bpfSampler) load(ncpu int) error {
	spec, err := bpf.LoadProfile()
	if err != nil {
		return err
	}
	if err := bpfConfigure(spec, s.cfg, ncpu); err != nil {
		return err
	}
	if err := spec.LoadAndAssign(&s.objs, nil); err != nil {
		return bpfError("loading the BPF program", err)
	}
	m := &s.objs.ProfileMaps
	s.counts = [2]*ebpf.Map{m.Counts0, m.Counts1}
	s.stacks = [2]*ebpf.Map{m.Stacks0, m.Stacks1}
	for _, pid := range s.cfg.PIDs {
		if err := m.Pids.Put(pid, uint8(1)); err != nil { // PID_TARGET
			return fmt.Errorf("PID filter: %w", err)
		}
	}
	if s.cfg.OnNewProcess != nil {
		if s.procs, err = ringbuf.NewReader(m.ProcessEvents); err != nil {
			return fmt.Errorf("process events: %w", err)
		}
		s.wg.Go(func() { bpfReadProcesses(s.procs, s.cfg) })
	}
	if s.cfg.Timed {
		if s.timed, err = newBPFTimedLog(m.TimedSamples); err != nil {
			return err
		}
		s.wg.Go(s.timed.run)
	}
	return nil
}

// attach opens a perf event per CPU, attaches the program to each and the
// lifecycle programs to their tracepoints (exec for OnNewProcess, fork for
// PIDs, exit for both), then enables the events.
func (s *bpfSampler) attach(cpus []int) error {
	var progs []*ebpf.Program
	if s.cfg.OnNewProcess != nil {
		progs = append(progs, s.objs.OnExec)
	}
	if len(s.cfg.PIDs) > 0 {
		progs = append(progs, s.objs.OnFork)
	}
	if len(progs) > 0 {
		progs = append(progs, s.objs.OnExit)
	}
	for _, p := range progs {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return bpfError("attaching "+p.String(), err)
		}
		s.links = append(s.links, l)
	}
	events, err := bpfOpenEvents(s.cfg, cpus)
	s.events = events
	if err != nil {
		return err
	}
	for _, e := range s.events {
		l, err := link.AttachRawLink(link.RawLinkOptions{Target: e.FD(), Program: s.objs.OnSample, Attach: ebpf.AttachPerfEvent})
		if err != nil {
			return bpfError("attaching to a perf event", err)
		}
		s.links = append(s.links, l)
	}
	for _, e := range s.events {
		if err := e.Enable(); err != nil {
			return err
		}
	}
	return nil
}

// close stops sampling and releases everything; safe twice.
func (s *bpfSampler) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for _, l := range s.links {
		errs = append(errs, l.Close())
	}
	for _, e := range s.events {
		errs = append(errs, e.Close())
	}
	if s.procs != nil {
		errs = append(errs, s.procs.Close())
	}
	if s.timed != nil {
		errs = append(errs, s.timed.close())
	}
	s.wg.Wait()
	errs = append(errs, s.objs.ProfilePrograms.Close(), s.objs.ProfileMaps.Close())
	return errors.Join(errs...)
}

// bpfError wraps an error from loading or attaching BPF programs, naming
// what would allow it when it is a matter of privilege or kernel support.
func bpfError(what string, err error) error {
	switch {
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		return kindOf(ErrPermission, fmt.Errorf("%s: %w (run as root, or grant CAP_BPF and CAP_PERFMON; or use the perf backend)", what, err))
	case errors.Is(err, ebpf.ErrNotSupported):
		return kindOf(ErrNotSupported, fmt.Errorf("%s: %w (needs Linux 5.11 or later with BTF; or use the perf backend)", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}
