package perfgen

// frame is one frame of a stack: the object it is in and its symbol, or no
// symbol for an address perf could not name ([unknown]).
type frame struct {
	dso, sym string
}

// tail makes the leaf end of a stack; shallow means the stack has no
// middle layers (an idle loop, a syscall straight from the spine).
type tail func(r *rng) (frames []frame, shallow bool)

type weightedTail struct {
	weight float64
	make   tail
}

type spine struct {
	weight float64
	frames []frame
}

// role is a kind of thread: its comm, pid and tids, its share of the
// samples, the spines its stacks start with (root first), the pools of
// frames the middle of its stacks is drawn from (outer layer first), the
// tails that end them, and the depths of its stacks.
type role struct {
	comm      string
	pid       int
	tids      []int
	weight    float64
	spines    []spine
	layers    [][]frame
	tails     []weightedTail
	depthLo   int
	depthHi   int
	midDepth  int
	alpha     float64
	recursion bool // a middle frame may repeat its parent
}

// newRole returns a role with one spine and the usual walk: a new branch
// at a node with probability 1.6/(visits+1.6), no direct recursion.
func newRole(comm string, pid int, tids []int, weight float64, sp []frame, layers [][]frame, tails []weightedTail, lo, hi, mid int) *role {
	return &role{comm: comm, pid: pid, tids: tids, weight: weight, spines: []spine{{1, sp}},
		layers: layers, tails: tails, depthLo: lo, depthHi: hi, midDepth: mid, alpha: 1.6}
}

// oneTail wraps a single tail maker.
func oneTail(t tail) []weightedTail { return []weightedTail{{1, t}} }

// in returns the frames of syms in dso.
func in(dso string, syms ...string) []frame {
	f := make([]frame, len(syms))
	for i, s := range syms {
		f[i] = frame{dso, s}
	}
	return f
}

// cat concatenates frame lists into a new one.
func cat(lists ...[]frame) []frame {
	var n int
	for _, l := range lists {
		n += len(l)
	}
	out := make([]frame, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// upTo returns the first k frames of f.
func upTo(f []frame, k int) []frame { return f[:min(k, len(f))] }

// sequence makes ints from start, count of them.
func sequence(start, count int) []int {
	s := make([]int, count)
	for i := range s {
		s[i] = start + i
	}
	return s
}

// buildRoles returns every role, in a fixed order, their names drawn from r.
func buildRoles(r *rng) []*role {
	roles := javaRoles(r)
	roles = append(roles, goRoles(r)...)
	roles = append(roles, cxxRoles(r)...)
	roles = append(roles, pythonRole(), nodeRole(r), cc1Role())
	return append(roles, kernelRoles()...)
}
