package perfsampler

import (
	"bytes"
	"time"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/unwind"
)

// Samples of a process the registry does not know yet (the session adds a
// process a batch after its first sample, once it has read its mappings and
// built its tables: tens of milliseconds) are parked, their stack copies
// with them, until it does: for parkFor at most, within parkBytes of
// copies, and until the next drain. The rest take the kernel's chain.
const (
	parkFor   = 500 * time.Millisecond
	parkBytes = 8 << 20
)

// parked is a sample (or a block of off-CPU time) waiting for its
// process's mappings, with its process's name and when it was parked.
type parked struct {
	rec    perfevent.Record
	comm   string
	offCPU bool
	at     time.Time
}

// process returns the mappings the registry has for process pid, unless
// they are from before an exec it has not been told of, or the registry
// is still building some of their tables (Pending).
func (u *unwinder) process(pid uint32) (*unwind.Process, bool) {
	p, ok := u.reg.Process(pid)
	if ok && p.Pending {
		return nil, false
	}
	if old, execed := u.stale[pid]; ok && execed {
		if p == old {
			return nil, false
		}
		delete(u.stale, pid)
	}
	return p, ok
}

// execed notes that process pid called exec.
func (u *unwinder) execed(pid uint32) {
	if p, ok := u.reg.Process(pid); ok {
		u.stale[pid] = p
	}
}

// forget forgets process pid, which exited.
func (u *unwinder) forget(pid uint32) { delete(u.stale, pid) }

// park keeps a copy of r, a sample with registers of a process whose
// mappings the registry does not have, to walk when it has them; it
// reports false for any other sample, or when the parked copies are at
// their bound.
func (u *unwinder) park(r *perfevent.Record, comm string, offCPU bool, now time.Time) bool {
	if r.UserABI != perfevent.ABI64 || u.parkedBytes+len(r.UserStack) > parkBytes {
		return false
	}
	if _, ok := u.process(r.PID); ok {
		return false
	}
	rc := *r
	rc.UserStack = bytes.Clone(r.UserStack)
	u.parked = append(u.parked, parked{rec: rc, comm: comm, offCPU: offCPU, at: now})
	u.parkedBytes += len(rc.UserStack)
	return true
}

// settle returns the parked samples to keep now: those whose process the
// registry has, those parked for parkFor, all of them when all is set.
func (u *unwinder) settle(now time.Time, all bool) []parked {
	var ready []parked
	waiting := u.parked[:0]
	for _, p := range u.parked {
		if _, ok := u.process(p.rec.PID); ok || all || now.Sub(p.at) >= parkFor {
			ready = append(ready, p)
			u.parkedBytes -= len(p.rec.UserStack)
		} else {
			waiting = append(waiting, p)
		}
	}
	clear(u.parked[len(waiting):])
	u.parked = waiting
	return ready
}
