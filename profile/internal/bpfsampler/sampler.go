package bpfsampler

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// Sampler is the running eBPF backend.
type Sampler struct {
	cfg sampler.Config

	objs   objects
	counts [2]*ebpf.Map
	stacks [2]*ebpf.Map
	links  []link.Link
	events []*perfevent.Event
	// offLinks are the off-CPU programs' links, which DrainOpen closes.
	offLinks []link.Link

	procs     *ringbuf.Reader // nil unless cfg.OnNewProcess
	stopProcs chan struct{}   // closed by Close to end the process reader
	procsDone chan struct{}   // closed when the process reader has ended
	timed     *timedLog       // nil unless cfg.Timed
	loader    *tableLoader    // nil unless cfg.Unwind
	wg        sync.WaitGroup  // the readers' goroutines

	// traceiters returns the code of the tracepoint iterators whose frame
	// the off-CPU kernel stacks drop; nil unless off-CPU with kernel
	// stacks.
	traceiters func() traceiters

	mu       sync.Mutex // serializes Drain and Close; guards below
	closed   bool
	gen      uint32               // generation the program writes to
	failures [failureCount]uint64 // totals read at the last drain
	carry    map[string]uint64    // Go-side failures since the last drain
	buf      buffers              // Drain's chunks
	held     *heldStacks          // nil unless cfg.OffCPU
	missed   uint64               // runs of on_switch skipped, read at the last drain
}

// objects are the loaded programs and maps. The constants are set before
// loading and never read back: loading them as Variables would map their
// memory until the garbage collector unmaps it, keeping the map alive
// after Close.
type objects struct {
	bpf.ProfilePrograms
	bpf.ProfileMaps
}

// Start starts the eBPF backend.
func Start(cfg sampler.Config) (*Sampler, error) {
	// BPF memory is charged to the cgroup (Linux 5.11 and later; this
	// backend needs 5.17), not to RLIMIT_MEMLOCK: there is no limit to
	// raise. (cilium/ebpf's rlimit package would probe the kernel with a
	// bpf() call in its init, in every run of every command.)
	cpus, err := sampler.OnlineCPUs()
	if err != nil {
		return nil, err
	}
	s := &Sampler{cfg: cfg, carry: map[string]uint64{}}
	if cfg.OffCPU != nil {
		s.held = newHeldStacks()
	}
	if cfg.OffCPU != nil && !cfg.UserOnly {
		s.traceiters = kernelTraceiters
		go kernelTraceiters() // read while the programs load, not at the first drain
	}
	if err := s.load(len(cpus)); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.attach(cpus); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// load creates the maps and programs, fills the PID filter and starts the
// ring-buffer readers.
func (s *Sampler) load(ncpu int) error {
	spec, err := bpf.LoadProfile()
	if err != nil {
		return err
	}
	if err := configure(spec, s.cfg, ncpu); err != nil {
		return err
	}
	if err := spec.LoadAndAssign(&s.objs, nil); err != nil {
		return loadError("loading the BPF program", err)
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
		s.stopProcs, s.procsDone = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(s.procsDone)
			readProcesses(s.procs, sampler.NewAnnouncer(s.cfg), s.stopProcs)
		}()
	}
	if s.cfg.Timed {
		if s.timed, err = newTimedLog(m.TimedSamples); err != nil {
			return err
		}
		s.wg.Go(s.timed.run)
	}
	if s.cfg.Unwind != nil {
		s.loader = newTableLoader(m.UnwindTables, m.UnwindProcesses, spec.Maps[bpf.ProfileMapUnwindTables].InnerMap)
		s.cfg.Unwind.SetLoader(s.loader)
	}
	return nil
}

// attach opens a perf event per CPU, attaches the program to each and the
// lifecycle programs to their tracepoints (exec for OnNewProcess, fork for
// PIDs, exit for both), then enables the events.
func (s *Sampler) attach(cpus []int) error {
	var progs []*ebpf.Program
	if s.cfg.OnNewProcess != nil {
		progs = append(progs, s.objs.OnExec)
	}
	if s.cfg.Unwind != nil && s.cfg.OnNewProcess == nil {
		progs = append(progs, s.objs.OnExec) // forgets the mappings
	}
	if len(s.cfg.PIDs) > 0 {
		progs = append(progs, s.objs.OnFork)
	}
	if len(progs) > 0 || s.cfg.OffCPU != nil {
		progs = append(progs, s.objs.OnExit)
	}
	for _, p := range progs {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return loadError("attaching "+p.String(), err)
		}
		s.links = append(s.links, l)
	}
	if off := s.cfg.OffCPU; off != nil {
		// on_waking also times each wakeup, where a block whose switch
		// in goes unseen ends.
		progs = []*ebpf.Program{s.objs.OnSwitch, s.objs.OnWaking}
		for _, p := range progs {
			l, err := link.AttachTracing(link.TracingOptions{Program: p})
			if err != nil {
				return loadError("attaching "+p.String(), err)
			}
			s.offLinks = append(s.offLinks, l)
		}
		if !off.Wall {
			return nil
		}
	}
	events, err := openEvents(s.cfg, cpus)
	s.events = events
	if err != nil {
		return err
	}
	for _, e := range s.events {
		l, err := link.AttachRawLink(link.RawLinkOptions{Target: e.FD(), Program: s.objs.OnSample, Attach: ebpf.AttachPerfEvent})
		if err != nil {
			return loadError("attaching to a perf event", err)
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

// Close stops sampling and releases everything; it is safe to call twice.
func (s *Sampler) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.loader != nil {
		// The registry outlives the sampler: it must not call into
		// closed maps.
		s.cfg.Unwind.SetLoader(nil)
	}
	var all []error
	for _, l := range append(s.offLinks, s.links...) {
		all = append(all, l.Close())
	}
	for _, e := range s.events {
		all = append(all, e.Close())
	}
	if s.procs != nil {
		if s.stopProcs != nil {
			close(s.stopProcs)
			<-s.procsDone
		}
		all = append(all, s.procs.Close())
	}
	if s.timed != nil {
		all = append(all, s.timed.close())
	}
	s.wg.Wait()
	all = append(all, s.objs.ProfilePrograms.Close(), s.objs.ProfileMaps.Close())
	return errors.Join(all...)
}

// loadError wraps an error from loading or attaching BPF programs, naming
// what would allow it when it is a matter of privilege or kernel support.
func loadError(what string, err error) error {
	switch {
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		return sampler.Mark(errs.ErrPermission, fmt.Errorf("%s: %w (run as root, or grant CAP_BPF and CAP_PERFMON; or use the perf backend)", what, err))
	case errors.Is(err, ebpf.ErrNotSupported):
		return sampler.Mark(errs.ErrNotSupported, fmt.Errorf("%s: %w (needs Linux 5.11 or later with BTF; or use the perf backend)", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}
