package profile

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// drainInterval is how often a session empties its backend into its
// pending aggregate, so the backend's maps and rings never fill, however
// rarely Collect is called.
const drainInterval = time.Second

// clockMonotonic reads CLOCK_MONOTONIC, the clock of sample times.
func clockMonotonic() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail for this clock
	return uint64(ts.Nano())
}

// Collect returns what was sampled since Start or the previous Collect and
// goes on sampling: an agent calls it every N seconds. Sampling and
// draining go on while it names what it took.
func (s *Session) Collect() (*Profile, error) {
	s.collecting.Lock()
	defer s.collecting.Unlock()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil, ErrStopped
	}
	t, err := s.take()
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.build(t), nil
}

// Stop ends sampling and returns what was sampled since Start or the last
// Collect. It releases the backend; Close releases the rest.
func (s *Session) Stop() (*Profile, error) {
	s.collecting.Lock()
	defer s.collecting.Unlock()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil, ErrStopped
	}
	t, err := s.takeLast()
	s.stopped = true
	if cerr := s.s.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("profile: stopping the %s backend: %w", s.backend, cerr)
	}
	if s.cmd != nil && s.cmd.hasExited() {
		s.cmd.cleanup() // else Close kills the command first
	}
	s.mu.Unlock()
	if t == nil {
		return nil, err
	}
	return s.build(t), err
}

// taken is what a collection takes from the session under its lock: the
// samples drained since the previous collection, and when that was.
type taken struct {
	pend      *pending
	start     time.Time // wall clock of the previous collection (or Start)
	startMono uint64    // the same on CLOCK_MONOTONIC
	end       time.Time
}

// take drains the backend and takes everything pending, for build. s.mu is
// held.
func (s *Session) take() (*taken, error) {
	if err := s.drain(); err != nil {
		return nil, err
	}
	return s.takePending(), nil
}

// takePending takes everything pending, for build. s.mu is held.
func (s *Session) takePending() *taken {
	now, mono := time.Now(), clockMonotonic()
	t := &taken{pend: s.pend, start: s.last, startMono: s.lastMono, end: now}
	s.pend = newPending(s.cfg.PerThread)
	s.last, s.lastMono = now, mono
	s.total += t.pend.total
	s.lost += t.pend.lost
	return t
}

// takeLast is take at Stop: after the last drain, the blocks still open
// of an off-CPU backend (sampler.OpenBlocks) are counted as if their
// threads ran now, so that a thread blocked for the whole recording is in
// the profile. s.mu is held.
func (s *Session) takeLast() (*taken, error) {
	if err := s.drain(); err != nil {
		return nil, err
	}
	if open, ok := s.s.(sampler.OpenBlocks); ok && s.cfg.OffCPU != nil {
		c := newStackCutter(s)
		st, err := open.DrainOpen(func(r sampler.Sample) {
			c.cut(&r)
			s.pend.add(r)
		})
		if err != nil {
			return nil, fmt.Errorf("profile: taking the blocks still open from the %s backend: %w", s.backend, err)
		}
		s.pend.addStats(st)
		s.pend.addCuts(c)
	}
	return s.takePending(), nil
}

// build makes a symbolized Profile of what a collection took, without
// s.mu, then forgets the processes that exited. s.collecting is held.
func (s *Session) build(t *taken) *Profile {
	pend := t.pend
	p := &Profile{
		Event: profileEvent(s.opts.Mode, s.event), Frequency: s.cfg.Frequency, Period: s.cfg.Period,
		Start: t.start, StartMonotonic: time.Duration(t.startMono), Duration: t.end.Sub(t.start), Backend: s.backend,
		Lost: pend.lost, LostValue: pend.lostValue, Failures: pend.failures,
	}
	if s.opts.Mode == ModeOffCPU {
		p.Frequency, p.Period = 0, 0 // no event sampled
	}
	// pend's samples are distinct stacks, in the order of its index: they
	// become the profile's samples in that order, and the timed samples
	// find theirs through the same index.
	b := profileBuilder{s: s, p: p, index: pend.index, startMono: t.startMono}
	p.Samples = make([]Sample, 0, len(pend.samples))
	for _, r := range pend.samples {
		sm := &p.Samples[b.newSample(r)]
		sm.Count, sm.Value = r.Count, r.Value
		if s.opts.Mode != ModeCPU {
			sm.Value = microseconds(r.Value)
		}
	}
	for _, r := range pend.timed {
		b.add(r)
	}
	b.index = nil // naming the addresses needs no stack keys: let them go
	b.symbolize(s.lookups)
	s.mu.Lock()
	s.forgetExited()
	s.mu.Unlock()
	return p
}

// drainLoop empties the backend every drainInterval until stop is closed.
func (s *Session) drainLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(drainInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			if !s.stopped {
				if err := s.drain(); err != nil {
					s.log.Debug("profile: drain", "err", err)
				}
			}
			s.mu.Unlock()
		}
	}
}

// drain moves what the backend gathered into s.pend, user stacks cut
// where the walk went astray (see stackCutter). s.mu is held.
func (s *Session) drain() error {
	c := newStackCutter(s)
	st, err := s.s.Drain(func(r sampler.Sample) {
		c.cut(&r)
		s.pend.add(r)
	})
	if err != nil {
		return fmt.Errorf("profile: draining the %s backend: %w", s.backend, err)
	}
	s.pend.addStats(st)
	s.pend.addCuts(c)
	return nil
}
