package profile

import (
	"fmt"
	"log/slog"
	"os/exec"
	"strings"

	"github.com/flamekit/flamekit/symbolize"
)

// Backend names a way of sampling.
type Backend uint8

// The backends.
const (
	// BackendAuto uses BPF when it is allowed, else the perf ring buffer.
	BackendAuto Backend = iota
	// BackendBPF samples with an eBPF program that aggregates stacks in the
	// kernel. It needs root (or CAP_BPF and CAP_PERFMON).
	BackendBPF
	// BackendPerf reads samples from perf ring buffers in user space. With
	// kernel.perf_event_paranoid ≤ 2 a process may profile its own user
	// stacks (and its children's) without privilege.
	BackendPerf
)

// String returns "auto", "bpf" or "perf".
func (b Backend) String() string {
	switch b {
	case BackendBPF:
		return "bpf"
	case BackendPerf:
		return "perf"
	}
	return "auto"
}

// ParseBackend parses "auto", "bpf" or "perf".
func ParseBackend(s string) (Backend, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return BackendAuto, nil
	case "bpf", "ebpf":
		return BackendBPF, nil
	case "perf":
		return BackendPerf, nil
	}
	return BackendAuto, fmt.Errorf("%w: unknown backend %q (want auto, bpf or perf)", ErrNotSupported, s)
}

// Options says what to profile and how. The zero value profiles the whole
// system's CPU time at 99 Hz with user and kernel stacks, idle left out.
type Options struct {
	// Event is the perf event to sample on, by perf's name ("cpu-clock",
	// "page-faults", ...; see ParseEvent). "" means cpu-clock.
	Event string
	// Frequency is the sampling rate in Hz. 0 means 99, unless Period is set.
	Frequency uint64
	// Period samples once every Period events instead of at a frequency.
	Period uint64

	// The target: at most one of PIDs, Self, Cgroup and Command. None means
	// the whole system.
	//
	// PIDs are processes to profile, with all their threads.
	PIDs []int
	// Self profiles the calling process, every thread of it.
	Self bool
	// Cgroup is the path of a cgroup v2 directory (absolute, or relative to
	// the cgroup2 mount): its processes and its descendants' are profiled.
	Cgroup string
	// Command is started by Start (it must not have been started) and
	// profiled with all its children until it exits; Session.Done is
	// closed then.
	Command *exec.Cmd

	// PerThread keeps threads apart (Sample.TID); otherwise samples are
	// per process.
	PerThread bool
	// UserOnly and KernelOnly keep one half of each stack.
	UserOnly, KernelOnly bool
	// IncludeIdle keeps the idle task's samples (pid 0, "swapper").
	IncludeIdle bool
	// Timed also records every sample with its time (Profile.Timed), for
	// sub-second views.
	Timed bool
	// Backend picks the sampling backend; Profile.Backend says which ran.
	Backend Backend
	// Inlines adds inlined frames and file:line to the frames, from DWARF
	// and the Go pclntab. It costs memory and time at collection (DWARF
	// line tables of every library with debug info); without it frames
	// name the functions holding the code, from symbol tables.
	Inlines bool

	// Symbolizer names the addresses; nil means a new one with a 64 MiB
	// cache, closed with the session. Share one between sessions to share
	// its cache.
	Symbolizer *symbolize.Symbolizer
	// Logger receives debug messages; nil means silence.
	Logger *slog.Logger

	// maxStacks sizes the backends' maps (tests force losses with it).
	maxStacks int
}
