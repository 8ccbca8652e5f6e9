package profile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/flamekit/flamekit/symbolize"
)

// sessionCacheBytes bounds the symbol tables a session's own Symbolizer
// keeps between collections: a continuous profiler should stay small.
const sessionCacheBytes = 64 << 20

// ErrStopped is returned by Collect and Stop after the session stopped.
var ErrStopped = errors.New("profile: session stopped")

// Session is a running profiler. Collect takes what it gathered so far
// without stopping it, Stop ends it, Close releases everything.
type Session struct {
	opts    Options
	event   Event
	cfg     samplerConfig
	backend Backend
	log     *slog.Logger
	sym     *symbolize.Symbolizer
	ownSym  bool
	cmd     *command // nil unless Options.Command

	done     chan struct{} // closed when the command exits or ctx ends
	doneOnce sync.Once
	stopCtx  func() bool

	// symCtx bounds symbolizing (debuginfod downloads): it keeps the
	// values of Start's ctx but not its end, after which Stop still names
	// what was gathered; Close cancels it.
	symCtx    context.Context
	symCancel context.CancelFunc

	stopDrain chan struct{} // closed to end drainLoop
	drainDone chan struct{} // closed when drainLoop has ended

	mu       sync.Mutex // guards what follows; drain and symbolize under it
	s        sampler
	pend     *pending  // drained, not yet collected
	total    uint64    // samples collected so far, for Stats
	lost     uint64    // samples lost in collections so far, for Stats
	last     time.Time // wall clock of Start or the last collection
	lastMono uint64    // the same on CLOCK_MONOTONIC, as samples are timed
	stopped  bool
	closed   bool

	procMu sync.Mutex // guards procs and gone: backends add while we drain
	procs  map[int]*symbolize.Process
	gone   map[int]bool // processes found exited at the last collection
	follow *follower    // updates new snapshots as their processes load libraries
}

// Start begins profiling. Stop or Close the session to end it; cancelling
// ctx stops sampling too (Stop still returns what was gathered).
func Start(ctx context.Context, opts Options) (*Session, error) {
	ev, err := ParseEvent(opts.Event)
	if err != nil {
		return nil, err
	}
	if opts.UserOnly && opts.KernelOnly {
		return nil, fmt.Errorf("profile: UserOnly and KernelOnly exclude each other")
	}
	targets := 0
	for _, set := range []bool{len(opts.PIDs) > 0, opts.Self, opts.Cgroup != "", opts.Command != nil} {
		if set {
			targets++
		}
	}
	if targets > 1 {
		return nil, fmt.Errorf("profile: give at most one target: PIDs, Self, Cgroup or Command")
	}
	for _, pid := range opts.PIDs {
		if pid <= 0 {
			return nil, fmt.Errorf("profile: bad PID %d", pid)
		}
		if err := processExists(uint32(pid)); err != nil {
			return nil, prefixed(err)
		}
	}
	var cgroup uint64
	if opts.Cgroup != "" {
		if cgroup, err = cgroupID(opts.Cgroup); err != nil {
			return nil, prefixed(err)
		}
	}
	s := &Session{opts: opts, event: ev, log: opts.Logger, sym: opts.Symbolizer, done: make(chan struct{}), procs: map[int]*symbolize.Process{}, gone: map[int]bool{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.symCtx, s.symCancel = context.WithCancel(context.WithoutCancel(ctx))
	if s.sym == nil {
		s.sym, s.ownSym = symbolize.New(symbolize.Options{Logger: opts.Logger, CacheBytes: sessionCacheBytes}), true
	}
	s.cfg = samplerConfig{
		EventType: ev.Type, EventConfig: ev.Config,
		Frequency: opts.Frequency, Period: opts.Period,
		UserOnly: opts.UserOnly, KernelOnly: opts.KernelOnly, IncludeIdle: opts.IncludeIdle,
		PerThread: opts.PerThread, Timed: opts.Timed, MaxStacks: opts.maxStacks, CgroupID: cgroup,
		OnNewProcess: s.snapshot, OnProcessExit: s.exited,
	}
	if s.cfg.Frequency == 0 && s.cfg.Period == 0 {
		s.cfg.Frequency = 99
	}
	for _, pid := range opts.PIDs {
		s.cfg.PIDs = append(s.cfg.PIDs, uint32(pid))
	}
	if opts.Self {
		s.cfg.PIDs = []uint32{uint32(os.Getpid())}
	}
	s.follow = newFollower()
	if err := s.startSampler(); err != nil {
		s.release()
		return nil, prefixed(err)
	}
	s.last, s.lastMono = time.Now(), clockMonotonic()
	s.pend = newPending(s.cfg.PerThread)
	s.stopDrain, s.drainDone = make(chan struct{}), make(chan struct{})
	go s.drainLoop(s.stopDrain, s.drainDone)
	s.stopCtx = context.AfterFunc(ctx, s.markDone)
	return s, nil
}

// startSampler starts the backend the options ask for, and the command.
// Auto tries BPF, then perf if BPF was refused (ErrPermission) or is not
// supported (ErrNotSupported); the error then says what each refused.
func (s *Session) startSampler() error {
	start := func(b Backend) (sampler, error) {
		if b == BackendBPF {
			return startBPF(s.cfg)
		}
		return startPerfRing(s.cfg)
	}
	try := []Backend{s.opts.Backend}
	if s.opts.Backend == BackendAuto {
		try = []Backend{BackendBPF, BackendPerf}
	}
	// Each attempt starts from the options alone: a command's attempt
	// names its target in s.cfg (the BPF backend a cgroup, the perf
	// backend the command's PID).
	base := s.cfg
	failed := &backendsError{}
	for _, b := range try {
		s.cfg = base
		var err error
		if s.opts.Command != nil {
			s.cmd, err = startCommand(s.opts.Command, b, &s.cfg, func() (sampler, error) { return start(b) })
			if err == nil {
				s.s, s.backend = s.cmd.sampler, b
				go s.waitCommand()
				return nil
			}
		} else if s.s, err = start(b); err == nil {
			s.backend = b
			return nil
		}
		s.log.Debug("profile: backend failed", "backend", b, "err", err)
		failed.backends, failed.errs = append(failed.backends, b), append(failed.errs, err)
		if !errors.Is(err, ErrPermission) && !errors.Is(err, ErrNotSupported) {
			break
		}
	}
	s.cfg = base
	return failed
}

// waitCommand waits for the command to exit, then marks the session done.
func (s *Session) waitCommand() {
	s.cmd.wait()
	s.markDone()
}

func (s *Session) markDone() { s.doneOnce.Do(func() { close(s.done) }) }

// Done is closed when the profiled command exits or the context given to
// Start ends. The session keeps its data until Stop.
func (s *Session) Done() <-chan struct{} { return s.done }

// Backend returns the backend that samples.
func (s *Session) Backend() Backend { return s.backend }

// Collect returns what was sampled since Start or the previous Collect and
// goes on sampling: an agent calls it every N seconds.
func (s *Session) Collect() (*Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, ErrStopped
	}
	return s.collect()
}

// Stats returns how many samples the session took and lost so far,
// collected or not, without collecting.
func (s *Session) Stats() (samples, lost uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total + s.pend.total, s.lost + s.pend.lost
}

// Stop ends sampling and returns what was sampled since Start or the last
// Collect. It releases the backend; Close releases the rest.
func (s *Session) Stop() (*Profile, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, ErrStopped
	}
	p, err := s.collect()
	s.stopped = true
	if cerr := s.s.close(); err == nil && cerr != nil {
		err = fmt.Errorf("profile: stopping the %s backend: %w", s.backend, cerr)
	}
	if s.cmd != nil {
		s.cmd.cleanup()
	}
	return p, err
}

// Close stops sampling if needed and releases every program, map, file
// descriptor, snapshot and goroutine of the session. It is safe to call
// twice.
func (s *Session) Close() error {
	if s.symCancel != nil {
		s.symCancel() // a collection under way stops naming addresses
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed, s.stopped = true, true
	err := s.release()
	s.mu.Unlock()
	if s.drainDone != nil {
		<-s.drainDone
	}
	if err != nil {
		return fmt.Errorf("profile: closing: %w", err)
	}
	return nil
}

// release frees everything; s.mu is held, or the session never started.
func (s *Session) release() error {
	var errs []error
	if s.stopCtx != nil {
		s.stopCtx()
	}
	if s.stopDrain != nil {
		close(s.stopDrain)
		s.stopDrain = nil
		// drainLoop may wait for s.mu, which we hold: it sees s.stopped
		// and ends without waiting for us.
	}
	if s.s != nil {
		errs = append(errs, s.s.close())
	}
	if s.cmd != nil {
		s.cmd.kill()
		s.cmd.cleanup()
	}
	s.follow.close()
	s.procMu.Lock()
	for _, p := range s.procs {
		errs = append(errs, p.Close())
	}
	s.procs = nil
	s.procMu.Unlock()
	if s.ownSym {
		errs = append(errs, s.sym.Close())
	}
	s.markDone()
	return errors.Join(errs...)
}

// exited lets the snapshot of a process that exited read its JIT sources a
// last time and release what it needs no more.
func (s *Session) exited(pid uint32) {
	s.procMu.Lock()
	snap := s.procs[int(pid)]
	s.procMu.Unlock()
	if snap != nil {
		snap.Exited()
	}
}

// snapshot takes a snapshot of a new (or exec'd) process's address space
// while it lives, so it can be symbolized after it exits. Backends call it
// from their goroutines.
func (s *Session) snapshot(pid uint32) {
	snap, err := symbolize.SnapshotProcess(int(pid))
	if err != nil {
		s.log.Debug("profile: snapshot", "pid", pid, "err", err)
		return
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	if s.procs == nil { // closed
		snap.Close()
		return
	}
	if old := s.procs[int(pid)]; old != nil {
		old.Close()
	}
	s.procs[int(pid)] = snap
	s.follow.add(snap)
}
