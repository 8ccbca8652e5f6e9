package perfsampler

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

const (
	defaultRingPages = 32  // data pages per CPU ring by default (128 KiB)
	recordGuess      = 256 // bytes of a typical sample record, to size rings from MaxStacks
	// unwindRingPages are the data pages per CPU ring with stack copies:
	// 1 MiB, 62 records of a 16 KiB copy, 62 ms of sampling at 999 Hz,
	// six times what the reader lets accumulate between two reads, for a
	// reader held up on a loaded machine (512 KiB lost samples there).
	// Unprivileged, fewer: see unwindPages.
	unwindRingPages = 256
	// unwindRecordGuess is the size of a sample record with a stack copy.
	unwindRecordGuess = perfevent.UserStackSize + 512
	// pollEvery is how often the reader reads the rings. It never waits
	// in poll(2): a thread blocked in a system call again and again makes
	// the Go runtime's monitor spin, handing its processor over, which
	// under process churn cost more than reading the records. A ring of
	// the default size holds 10 ms of a 10 kHz sampling of deep stacks.
	pollEvery   = 10 * time.Millisecond
	rescanEvery = 500 * time.Millisecond
)

// Sampler is the running perf ring-buffer backend.
type Sampler struct {
	cfg   sampler.Config
	opts  perfevent.SampleOptions
	attr  unix.PerfEventAttr // of the events opened; its sample type decodes records
	cpus  []int
	pages int // data pages of each ring, once the first is mapped

	stop      chan struct{} // closed by Close to end the reader
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex // guards everything below
	closed bool
	rings  []*cpuRing
	events []*perfevent.Event
	agg    *aggregator
	blocks *blockTracker // with Config.OffCPU
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

// Start starts the perf ring-buffer backend.
func Start(cfg sampler.Config) (*Sampler, error) {
	if cfg.OffCPU != nil {
		if err := checkOffCPU(cfg); err != nil {
			return nil, err
		}
	}
	if cfg.CgroupID != 0 && len(cfg.PIDs) > 0 {
		return nil, sampler.Markf(errs.ErrNotSupported, "a cgroup and PIDs together")
	}
	cpus, err := sampler.OnlineCPUs()
	if err != nil {
		return nil, err
	}
	s := &Sampler{
		cfg:    cfg,
		opts:   sampleOptions(cfg),
		cpus:   cpus,
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		agg:    newAggregator(cfg),
		opened: map[uint32]bool{}, forked: map[uint32]bool{}, pending: map[uint32]bool{},
	}
	if cfg.OffCPU != nil {
		s.blocks = newBlockTracker(cfg.OffCPU)
	}
	if err := s.openTargets(); err != nil {
		s.release()
		return nil, err
	}
	s.lastScan = time.Now()
	go s.run(s.agg.takeNew())
	return s, nil
}

// ringPages sizes each CPU's ring: cfg.MaxStacks records of a typical size
// (with a stack copy when cfg.Unwind asks for one), in a power of two of
// pages; by default defaultRingPages, or unwindPages with stack copies or
// off-CPU recording.
func ringPages(cfg sampler.Config) int {
	record, pages := recordGuess, defaultRingPages
	if cfg.OffCPU != nil {
		// A record at every switch, out and in: a ping-pong of two
		// threads writes 30 MB a second.
		pages = unwindPages()
	}
	if unwinds(cfg) {
		record, pages = unwindRecordGuess, unwindPages()
	}
	if cfg.MaxStacks <= 0 {
		return pages
	}
	want := (cfg.MaxStacks*record + os.Getpagesize() - 1) / os.Getpagesize()
	n := 1
	for n < want && n < 1<<16 {
		n *= 2
	}
	return n
}

// mlockPath holds kernel.perf_event_mlock_kb.
const mlockPath = "/proc/sys/kernel/perf_event_mlock_kb"

// unwindPages returns the data pages per CPU ring with stack copies:
// unwindRingPages, or, for a process without root's CAP_IPC_LOCK, what
// kernel.perf_event_mlock_kb allows per CPU (its rings and their header
// pages; 128 pages with the default 516 KiB), so that the first CPUs'
// rings do not take what the last ones need. Beyond it the kernel charges
// RLIMIT_MEMLOCK, often 64 KiB.
func unwindPages() int {
	if os.Geteuid() == 0 {
		return unwindRingPages
	}
	kb := 516 // the kernel's default
	if b, err := os.ReadFile(mlockPath); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			kb = n
		}
	}
	n := unwindRingPages
	for n > defaultRingPages && (n+1)*(os.Getpagesize()/1024) > kb {
		n /= 2
	}
	return n
}

// run is the reader goroutine: it announces the target processes, then
// every pollEvery reads every ring and rescans the targets' threads now and
// then, until Close.
func (s *Sampler) run(targets processNews) {
	defer close(s.done)
	s.agg.announce(targets)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		s.readRings()
		s.agg.settle(false)
		if time.Since(s.lastScan) >= rescanEvery {
			s.rescan()
		}
		news := s.agg.takeNew()
		s.mu.Unlock()
		s.agg.announce(news)
	}
}

// readRings reads every ring into the aggregator, and with off-CPU
// recording makes blocks of the switches older than the read by
// recordSlack. s.mu is held.
func (s *Sampler) readRings() {
	start := monotonicNow()
	for _, r := range s.rings {
		if err := r.ring.Read(s.handle); err != nil {
			s.agg.fail(sampler.FailureBadRecord, 1)
		}
	}
	if s.blocks != nil && start > recordSlack {
		s.blocks.process(start-recordSlack, s.endBlock, s.failOnce)
	}
}

// handle decodes one record. s.mu is held.
func (s *Sampler) handle(rec []byte) {
	r, err := perfevent.ParseRecord(rec, &s.attr)
	if err != nil {
		s.agg.fail(sampler.FailureBadRecord, 1)
		return
	}
	if r.Type == perfevent.RecordFork && r.PID == r.PPID {
		s.forked[r.TID] = true
	}
	if s.blocks != nil && !s.blocks.queue(&r) {
		if r.Type == perfevent.RecordSample {
			s.agg.note(r.PID) // its name and announcement, while it runs
		}
		return
	}
	s.agg.add(&r)
}

// Drain hands over and clears everything gathered since the last drain.
// Before the samples are emitted, it hands the processes sampled for the
// first time in the records it reads, and those that exited, to the
// Announcer, from the calling goroutine (see sampler.Announcer: a process
// is announced once it has run for a batch).
func (s *Sampler) Drain(emit func(sampler.Sample)) (sampler.Stats, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return sampler.Stats{}, fmt.Errorf("drain after close: %w", os.ErrClosed)
	}
	s.readRings()
	return s.takeAll(emit)
}

// takeAll hands over what was gathered, as Drain does, once the rings are
// read. s.mu is held, and released.
func (s *Sampler) takeAll(emit func(sampler.Sample)) (sampler.Stats, error) {
	s.agg.settle(true)
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

// Close stops sampling and releases every ring, event and goroutine; it
// is safe to call twice.
func (s *Sampler) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.stop)
		<-s.done
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closeErr = s.release()
	})
	return s.closeErr
}

// release unmaps every ring and closes every event.
func (s *Sampler) release() error {
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
