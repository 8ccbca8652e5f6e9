package profile

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/perfevent"
)

// The perf ring-buffer backend samples without BPF: perf events write
// every sample (with its call chain) into mmap ring buffers, one per CPU,
// and a reader goroutine aggregates them in user space. It is the backend
// for processes without CAP_BPF/CAP_PERFMON: with kernel.perf_event_paranoid
// at 2 a process may profile its own user stacks (and those of its user's
// processes).
//
// Targets: system-wide, one event per CPU for every task. For PIDs, one
// event per thread and CPU, with inherit, so that threads and processes
// they create later are covered too (the kernel refuses to mmap an
// inherited event of a thread on any CPU, cpu -1; so there is one per CPU,
// each sending its records to that CPU's ring). A pid-only event would cover just the main thread,
// which misses nearly all of a Go program's work; threads that appear
// without a FORK record from a covered thread (created while events were
// being opened) are found by rescanning /proc/PID/task and counted as
// "late-thread".
//
// Unless cfg.UserOnly, kernel stacks are asked for first; if that is
// refused for lack of privilege (and cfg.KernelOnly is not set), the
// backend samples user space only.
//
// In Timed mode every sample is handed over on its own (Count 1, with its
// TID, CPU and Time) instead of aggregated.

// Failure causes counted in samplerStats.Failures by the perf backend.
const (
	failRingFull   = "ring-full"   // records the kernel dropped: the ring buffer was full (also in Lost)
	failThrottled  = "throttled"   // times the kernel throttled sampling (too high a rate)
	failLateThread = "late-thread" // threads attached by a rescan, not by inherit
	failBadRecord  = "bad-record"  // records that could not be decoded
)

const (
	perfRingPages   = 32  // data pages per CPU ring by default (128 KiB)
	perfRecordGuess = 256 // bytes of a typical sample record, to size rings from MaxStacks
	perfPollEvery   = 10 * time.Millisecond
	perfRescanEvery = 500 * time.Millisecond
)

// perfRing is the running perf ring-buffer backend.
type perfRing struct {
	cfg  samplerConfig
	opts perfevent.SampleOptions
	attr unix.PerfEventAttr // of the events opened; its sample type decodes records
	cpus []int

	wake      int // eventfd that wakes the reader for close
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex // guards everything below
	closed bool
	rings  []*cpuRing
	events []*perfevent.Event
	agg    *perfAggregator
	// opened: threads with events of their own; forked: threads a
	// covered thread created (FORK records); pending: threads seen once
	// by a rescan that neither holds.
	opened, forked, pending map[uint32]bool
	lastScan                time.Time
}

// cpuRing is one CPU's ring buffer and the event it is mapped from.
type cpuRing struct {
	leader *perfevent.Event
	ring   *perfevent.Ring
}

// startPerfRing starts the perf ring-buffer backend.
func startPerfRing(cfg samplerConfig) (sampler, error) {
	if cfg.CgroupID != 0 && len(cfg.PIDs) > 0 {
		return nil, kindf(ErrNotSupported, "a cgroup and PIDs together")
	}
	cpus, err := onlineCPUs()
	if err != nil {
		return nil, err
	}
	s := &perfRing{
		cfg:    cfg,
		opts:   perfOptions(cfg),
		cpus:   cpus,
		wake:   -1,
		done:   make(chan struct{}),
		agg:    newPerfAggregator(cfg),
		opened: map[uint32]bool{}, forked: map[uint32]bool{}, pending: map[uint32]bool{},
	}
	if err := s.openTargets(); err != nil {
		s.release()
		return nil, err
	}
	if s.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		s.release()
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	s.lastScan = time.Now()
	fds := []unix.PollFd{{Fd: int32(s.wake), Events: unix.POLLIN}}
	for _, r := range s.rings {
		fds = append(fds, unix.PollFd{Fd: int32(r.leader.FD()), Events: unix.POLLIN})
	}
	go s.run(fds, s.agg.takeNew())
	return s, nil
}

// ringPages sizes each CPU's ring: cfg.MaxStacks records of a typical size,
// in a power of two of pages.
func ringPages(maxStacks int) int {
	if maxStacks <= 0 {
		return perfRingPages
	}
	want := (maxStacks*perfRecordGuess + os.Getpagesize() - 1) / os.Getpagesize()
	n := 1
	for n < want && n < 1<<16 {
		n *= 2
	}
	return n
}

// run is the reader goroutine: it announces the target processes, then
// polls fds (the wake eventfd, then the rings' events) with a timeout,
// reads every ring and rescans the targets' threads now and then, until
// close.
func (s *perfRing) run(fds []unix.PollFd, targets processNews) {
	defer close(s.done)
	s.agg.announce(targets)
	for {
		_, err := unix.Poll(fds, int(perfPollEvery/time.Millisecond))
		if err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if fds[0].Revents != 0 {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		s.readRings()
		if time.Since(s.lastScan) >= perfRescanEvery {
			s.rescan()
		}
		news := s.agg.takeNew()
		s.mu.Unlock()
		s.agg.announce(news)
	}
}

// readRings reads every ring into the aggregator. s.mu is held.
func (s *perfRing) readRings() {
	for _, r := range s.rings {
		if err := r.ring.Read(s.handle); err != nil {
			s.agg.fail(failBadRecord, 1)
		}
	}
}

// handle decodes one record. s.mu is held.
func (s *perfRing) handle(rec []byte) {
	r, err := perfevent.ParseRecord(rec, s.attr.Sample_type)
	if err != nil {
		s.agg.fail(failBadRecord, 1)
		return
	}
	if r.Type == perfevent.RecordFork && r.PID == r.PPID {
		s.forked[r.TID] = true
	}
	s.agg.add(&r)
}

// drain implements sampler. Processes first seen in the records it reads
// are announced to OnNewProcess (and those that exited to OnProcessExit)
// from the calling goroutine, before the samples are emitted.
func (s *perfRing) drain(emit func(rawSample)) (samplerStats, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return samplerStats{}, fmt.Errorf("drain after close: %w", os.ErrClosed)
	}
	s.readRings()
	s.rescan()
	news := s.agg.takeNew()
	samples, stats := s.agg.take()
	s.mu.Unlock()
	s.agg.announce(news)
	for _, rs := range samples {
		emit(rs)
	}
	return stats, nil
}

// close implements sampler.
func (s *perfRing) close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true // the reader stops at its next wakeup
		s.mu.Unlock()
		one := [8]byte{1}
		_, werr := unix.Write(s.wake, one[:]) // which is now
		<-s.done
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closeErr = errors.Join(s.release(), werr, unix.Close(s.wake))
	})
	return s.closeErr
}

// release unmaps every ring and closes every event.
func (s *perfRing) release() error {
	var errs []error
	for _, r := range s.rings {
		errs = append(errs, r.ring.Close())
	}
	for _, e := range s.events {
		errs = append(errs, e.Close())
	}
	s.rings, s.events = nil, nil
	return errors.Join(errs...)
}
