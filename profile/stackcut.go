package profile

import (
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/symbolize"
)

const (
	loopMaxPeriod = 16 // the longest block of addresses a cycle repeats
	loopMinLength = 32 // addresses, all copies of the block, that make a cycle
)

// stackCutter cuts the user stacks of one drain where the frame-pointer
// walk went astray, as the package documentation tells ("Stack cuts"):
// at the first return address in no executable mapping of the process's
// snapshot, after the leaf when there is no snapshot, or after the first
// copy of a block repeated to the end of the stack (see loopStart). The
// leaf always stays. It keeps the snapshots it looked up, and updates each
// live process's snapshot at most once, so that code mapped since the last
// update does not cut.
type stackCutter struct {
	s       *Session
	snaps   map[uint32]*symbolize.Process // nil: none could be taken
	updated map[uint32]bool
	cuts    map[string]uint64
}

func newStackCutter(s *Session) *stackCutter {
	return &stackCutter{s: s, snaps: map[uint32]*symbolize.Process{}, updated: map[uint32]bool{}, cuts: map[string]uint64{}}
}

// cut shortens r.User where the walk went astray, and counts r's samples
// by cause (timed samples, which repeat aggregated ones, are not counted).
func (c *stackCutter) cut(r *sampler.Sample) {
	if len(r.User) < 2 {
		return
	}
	at, cause := loopStart(r.User), FailureUserStackLoop
	if snap := c.snapshot(r.PID); snap == nil {
		at, cause = 1, FailureUserStackNoMappings
	} else if i := c.firstUnmapped(r.PID, snap, r.User[:at]); i < at {
		at, cause = i, FailureUserStackUnmapped
	}
	if at == len(r.User) {
		return
	}
	r.User = r.User[:at:at]
	if r.Time == 0 {
		c.cuts[cause] += r.Count
	}
}

// snapshot returns the snapshot of process pid, nil when there is none.
func (c *stackCutter) snapshot(pid uint32) *symbolize.Process {
	snap, ok := c.snaps[pid]
	if !ok {
		snap = c.s.process(int(pid))
		c.snaps[pid] = snap
	}
	return snap
}

// firstUnmapped returns the index of the first return address of pcs (the
// leaf excepted) that is in no executable mapping of snap, process pid's
// snapshot, or len(pcs).
func (c *stackCutter) firstUnmapped(pid uint32, snap *symbolize.Process, pcs []uint64) int {
	for i := 1; i < len(pcs); i++ {
		if snap.Executable(pcs[i]) {
			continue
		}
		if !c.updated[pid] {
			c.updated[pid] = true
			// An error means the process exited: the snapshot stays.
			if snap.Update() == nil && snap.Executable(pcs[i]) {
				continue
			}
		}
		return i
	}
	return len(pcs)
}

// loopStart returns where a stack (leaf first) that ends in a block of
// addresses repeated to its end repeats the block for the first time, or
// len(pcs) when it does not end so (see loopMaxPeriod and loopMinLength).
// The leaf is no part of a block.
func loopStart(pcs []uint64) int {
	n, cut := len(pcs), len(pcs)
	for p := 1; p <= loopMaxPeriod && p < n; p++ {
		// pcs[i] == pcs[i-p] for every i from j+1 to the end.
		j := n - 1
		for j-p >= 1 && pcs[j] == pcs[j-p] {
			j--
		}
		// So pcs[j+1-p:] is the block repeated, its first copy ends at j+1.
		if n-(j+1-p) >= loopMinLength {
			cut = min(cut, j+1)
		}
	}
	return cut
}
