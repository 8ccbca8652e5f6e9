package sampler

import "sync"

// Announcer delays and coalesces what a backend tells Config.OnNewProcess
// and Config.OnProcessExit, so that a machine starting processes all the
// time costs the session little: a backend hands it, every few
// milliseconds, the processes it sampled for the first time (or for the
// first time since an exec) and those that exited, and it announces a
// process only if it still runs one batch later. Most short-lived processes
// (a shell's /bin/true lives for a millisecond) have exited by then: their
// address space is gone, and reading what is left of them would be wasted.
// A process sampled again after an exec waits again, for its new address
// space. Its methods may be called from any goroutine, one batch at a time.
type Announcer struct {
	cfg     Config
	mu      sync.Mutex
	waiting []uint32 // sampled in the previous batch, to announce in the next
	isWait  map[uint32]bool
}

// NewAnnouncer returns an Announcer calling cfg's callbacks (OnNewProcess
// must not be nil).
func NewAnnouncer(cfg Config) *Announcer {
	return &Announcer{cfg: cfg, isWait: map[uint32]bool{}}
}

// Batch takes the processes sampled for the first time since their start
// or exec (started) and those that exited (ended), in a backend's latest
// batch of events. It announces to OnNewProcess the processes of the
// previous batch that neither exited nor exec'd meanwhile, then to
// OnProcessExit (when it is not nil) those that exited, announced or not
// (their samples are still to come: the session must not take a pid
// reused meanwhile for them), and keeps the processes of this batch for
// the next.
func (a *Announcer) Batch(started, ended []uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	gone := make(map[uint32]bool, len(ended)+len(started))
	for _, pid := range ended {
		gone[pid] = true
	}
	for _, pid := range started {
		gone[pid] = true // its address space is new: it waits again
	}
	for _, pid := range a.waiting {
		if !gone[pid] {
			a.cfg.OnNewProcess(pid)
		}
	}
	if a.cfg.OnProcessExit != nil {
		for _, pid := range ended {
			a.cfg.OnProcessExit(pid)
		}
	}
	clear(a.isWait)
	a.waiting = a.waiting[:0]
	exited := make(map[uint32]bool, len(ended))
	for _, pid := range ended {
		exited[pid] = true
	}
	for _, pid := range started {
		if !exited[pid] && !a.isWait[pid] {
			a.isWait[pid] = true
			a.waiting = append(a.waiting, pid)
		}
	}
}
