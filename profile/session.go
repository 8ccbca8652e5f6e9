package profile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/flamekit/flamekit/internal/unwind"
	"github.com/flamekit/flamekit/pmc"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/symbolize"
)

// sessionCacheBytes bounds the symbol tables a session's own Symbolizer
// keeps between collections: a continuous profiler should stay small.
const sessionCacheBytes = 64 << 20

// Session is a running profiler. Collect takes what it gathered so far
// without stopping it, Stop ends it, Close releases everything. Its
// methods are safe for concurrent use.
type Session struct {
	opts    Options
	event   Event
	cfg     sampler.Config
	backend Backend
	log     *slog.Logger
	sym     *symbolize.Symbolizer
	ownSym  bool
	cmd     *command // nil unless Options.Command

	done     chan struct{} // closed when the command exits or ctx ends
	doneOnce sync.Once
	stopCtx  func() bool

	stopDrain chan struct{} // closed to end drainLoop
	drainDone chan struct{} // closed when drainLoop has ended

	// lookups is the context of a collection's symbolizer lookups
	// (debuginfod downloads among them): it keeps the values of Start's ctx
	// but not its end, after which Stop still names what was gathered;
	// Close cancels it, so that a collection in flight names no more.
	lookups       context.Context
	cancelLookups context.CancelFunc

	// collecting serializes collections, from taking the drained samples
	// to naming them and forgetting exited processes; Close takes it to
	// wait for a collection in flight before it releases the snapshots
	// and the symbolizer. It is taken before mu, never while mu is held.
	collecting sync.Mutex

	// mu guards what follows. The backend is drained under it, and a
	// collection takes what was drained under it, then names it without
	// it: draining (and Stats) never waits for symbolization.
	mu       sync.Mutex
	s        sampler.Sampler
	pend     *pending  // drained, not yet collected
	total    uint64    // samples collected so far, for Stats
	lost     uint64    // samples lost in collections so far, for Stats
	last     time.Time // wall clock of Start or the last collection
	lastMono uint64    // the same on CLOCK_MONOTONIC, as samples are timed
	stopped  bool
	closed   bool

	procMu sync.Mutex // guards procs, gone and unreadable: backends add while we drain
	procs  map[int]*symbolize.Process
	gone   map[int]bool // processes found exited at the last collection
	// unreadable are the processes whose snapshot failed since the last
	// collection (exited, or kernel threads): not tried again until then.
	unreadable map[int]bool
	follow     *follower // updates new snapshots as their processes load libraries
	// unwind holds the unwind tables of the snapshotted processes' files;
	// nil when stacks are walked by frame pointers only.
	unwind  *unwind.Registry
	unwindQ *unwindQueue // hands it the snapshots and exits, off the backend's goroutines
}

// Start begins profiling. Stop or Close the session to end it. When ctx
// ends, Done is closed, as when a profiled command exits; sampling goes on
// until Stop, which still returns what was gathered.
func Start(ctx context.Context, opts Options) (*Session, error) {
	ev, err := ParseEvent(opts.Event)
	if err != nil {
		return nil, err
	}
	if opts.UserOnly && opts.KernelOnly {
		return nil, fmt.Errorf("profile: UserOnly and KernelOnly exclude each other")
	}
	if err := samplingError(ev); err != nil {
		return nil, prefixed(err)
	}
	userOnly, kernelOnly, err := samplingModes(ev, opts.UserOnly, opts.KernelOnly)
	if err != nil {
		return nil, prefixed(err)
	}
	offCPU, err := offCPUConfig(opts, ev)
	if err != nil {
		return nil, err // ErrOptions says the prefix
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
		if cgroup, err = sampler.CgroupID(opts.Cgroup); err != nil {
			return nil, prefixed(err)
		}
	}
	s := &Session{opts: opts, event: ev, log: opts.Logger, sym: opts.Symbolizer, done: make(chan struct{}), procs: map[int]*symbolize.Process{}, gone: map[int]bool{}, unreadable: map[int]bool{}}
	s.lookups, s.cancelLookups = context.WithCancel(context.WithoutCancel(ctx))
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.sym == nil {
		s.sym, s.ownSym = symbolize.New(symbolize.Options{Logger: opts.Logger, CacheBytes: sessionCacheBytes}), true
	}
	freq, period := samplingRate(ev.PMC, opts.Frequency, opts.Period)
	s.cfg = sampler.Config{
		Event:     ev.PMC.MostPrecise(),
		Frequency: freq, Period: period,
		UserOnly: userOnly, KernelOnly: kernelOnly, IncludeIdle: opts.IncludeIdle,
		PerThread: opts.PerThread, Timed: opts.Timed, CgroupID: cgroup,
		OnNewProcess: s.snapshot, OnProcessExit: s.exited,
		OffCPU: offCPU,
	}
	for _, pid := range opts.PIDs {
		s.cfg.PIDs = append(s.cfg.PIDs, uint32(pid))
	}
	if opts.Self {
		s.cfg.PIDs = []uint32{uint32(os.Getpid())}
	}
	if opts.Unwind != UnwindFramePointers {
		s.unwind = unwind.NewRegistry(unwind.Options{Linger: -1})
		s.cfg.Unwind = s.unwind
		s.unwindQ = newUnwindQueue(s.unwind, func(pid int, err error) {
			s.log.Debug("profile: unwind tables", "pid", pid, "err", err)
		})
	}
	s.follow = newFollower(s.addUnwind)
	if err := s.startSampler(); err != nil {
		s.stopSampling()
		s.releaseNames()
		if offCPU == nil || offCPU.Wall {
			err = pmc.OpenError(ev.PMC, err)
		}
		return nil, prefixed(err)
	}
	s.last, s.lastMono = time.Now(), clockMonotonic()
	s.pend = newPending(s.cfg.PerThread)
	s.stopDrain, s.drainDone = make(chan struct{}), make(chan struct{})
	go s.drainLoop(s.stopDrain, s.drainDone)
	s.stopCtx = context.AfterFunc(ctx, s.markDone)
	return s, nil
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

// Stats returns how many samples the session took and lost so far,
// collected or not, without collecting. It does not wait for a collection
// to name its samples.
func (s *Session) Stats() (samples, lost uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total + s.pend.total, s.lost + s.pend.lost
}

// Close stops sampling if needed and releases every program, map, file
// descriptor, snapshot and goroutine of the session. It is safe to call
// twice, and while a Collect or Stop runs: Close keeps that collection
// from naming more addresses (those it has not named by then stay
// unknown), and returns once the collection has returned.
func (s *Session) Close() error {
	if s.cancelLookups != nil {
		s.cancelLookups() // a collection under way stops naming addresses
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed, s.stopped = true, true
	err := s.stopSampling()
	s.mu.Unlock()
	<-s.drainDone
	s.cancelLookups()
	s.collecting.Lock()
	err = errors.Join(err, s.releaseNames())
	s.collecting.Unlock()
	if err != nil {
		return fmt.Errorf("profile: closing: %w", err)
	}
	return nil
}

// stopSampling ends the sampling: the context's watch, the drain loop, the
// backend and the command. s.mu is held, or the session never started.
func (s *Session) stopSampling() error {
	if s.stopCtx != nil {
		s.stopCtx()
	}
	if s.stopDrain != nil {
		close(s.stopDrain)
		s.stopDrain = nil
		// drainLoop may wait for s.mu, which we hold: it sees s.stopped
		// and ends without waiting for us.
	}
	var err error
	if s.s != nil {
		err = s.s.Close()
	}
	if s.unwind != nil {
		s.unwind.SetLoader(nil) // the backend's maps are gone
	}
	if s.cmd != nil {
		s.cmd.kill()
		s.cmd.cleanup()
	}
	s.markDone()
	return err
}

// releaseNames releases what naming needs: the follower, the snapshots and
// the session's own symbolizer. No collection runs.
func (s *Session) releaseNames() error {
	s.cancelLookups()
	s.follow.close()
	if s.unwind != nil {
		s.unwindQ.close() // before the snapshots whose files it reads are closed
		s.unwind.Close()
	}
	var errs []error
	s.procMu.Lock()
	for _, p := range s.procs {
		errs = append(errs, p.Close())
	}
	s.procs = nil
	s.procMu.Unlock()

	if s.ownSym {
		errs = append(errs, s.sym.Close())
	}
	return errors.Join(errs...)
}

// samplingRate returns the frequency or period to sample e at: the
// event's own freq= or period= term when it has one, else the options'
// (99 Hz when they give neither).
func samplingRate(e pmc.Event, freq, period uint64) (uint64, uint64) {
	switch {
	case e.Period > 0:
		return 0, e.Period
	case e.Freq > 0:
		return e.Freq, 0
	case freq == 0 && period == 0:
		return 99, 0
	}
	return freq, period
}
