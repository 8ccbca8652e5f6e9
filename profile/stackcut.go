package profile

import "github.com/flamekit/flamekit/symbolize"

// Both backends take user stacks by walking frame pointers, in the kernel.
// Code built without frame pointers uses rbp as a general register, and a
// walk that reaches it reads whatever rbp points to as a frame: return
// addresses that are data, or a chain of pointers followed as frames until
// the depth limit (127). A flame graph would show them as towers of
// "[unknown]" frames, the tallest tower setting the graph's height. So
// each user stack is cut, as it is drained, where the walk went astray:
//
//   - at the first return address in no executable mapping of the
//     process's snapshot (a file, the vDSO, anonymous memory where JIT
//     compilers put code, or JIT code named by a perf map or jitdump);
//     when the process still runs, its snapshot is updated first, so code
//     it mapped since (dlopen, a JIT's new code) does not cut;
//   - after the leaf when there is no snapshot: the process exited before
//     its mappings could be read (a shell's short-lived fork), so none of
//     its addresses can be named or told from garbage;
//   - where the stack ends in a block of at most loopMaxPeriod addresses
//     repeated to its end, over loopMinLength addresses or more, as a walk
//     caught in a cycle of frame pointers gives: the first copy of the
//     block stays. A recursion deeper than the depth limit gives the same
//     stack and is cut the same way; its outer frames were lost anyway.
//     Recursion that the walk leaves (through main, _start...) is kept
//     whole, repeats and all.
//
// The leaf, the sampled instruction pointer, always stays: it comes from
// the registers, not from the walk, so it is where the thread was even
// when no mapping of the snapshot holds it (code mapped after the snapshot
// of a process that has exited since); dropping it would take the sample's
// last frame away.
//
// Each cut sample is counted in Profile.Failures by cause:
// FailureUserStackUnmapped, FailureUserStackNoMappings,
// FailureUserStackLoop.

// Failure causes of user stacks cut where the frame-pointer walk went
// astray, as counted in Profile.Failures.
const (
	// FailureUserStackUnmapped counts samples whose user stack was cut at a
	// return address in no executable mapping of the process.
	FailureUserStackUnmapped = "user-stack-unmapped"
	// FailureUserStackNoMappings counts samples whose user stack was cut
	// to its leaf because the process exited before its mappings could be
	// read.
	FailureUserStackNoMappings = "user-stack-no-mappings"
	// FailureUserStackLoop counts samples whose user stack ended in a
	// block of up to 16 addresses repeated over 32 addresses or more (a
	// cycle of frame pointers, or a recursion deeper than the depth
	// limit), cut after the block's first copy.
	FailureUserStackLoop = "user-stack-loop"
)

const (
	loopMaxPeriod = 16 // the longest block of addresses a cycle repeats
	loopMinLength = 32 // addresses, all copies of the block, that make a cycle
)

// stackCutter cuts the user stacks of one drain. It keeps the snapshots it
// looked up, and updates each live process's snapshot at most once.
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
func (c *stackCutter) cut(r *rawSample) {
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
