package scope

import (
	"slices"

	"github.com/flamekit/flamekit/flamegraph"
)

// StackCount is a stack of a Profile (an index in Profile.Stacks) with a
// count of its samples.
type StackCount struct {
	Stack uint32
	Count uint32
}

// tally sums the samples of stacks.
type tally struct {
	stacks  []Stack
	idle    bool // count idle stacks
	counts  []uint32
	touched []uint32
	total   int
}

func newTally(stacks []Stack, idle bool) *tally {
	return &tally{stacks: stacks, idle: idle, counts: make([]uint32, len(stacks))}
}

// add counts n samples of stack id.
func (t *tally) add(id, n uint32) {
	if !t.idle && t.stacks[id].Idle {
		return
	}
	if t.counts[id] == 0 {
		t.touched = append(t.touched, id)
	}
	t.counts[id] += n
	t.total += int(n)
}

// profile returns the counted stacks as a folded profile, sorted by
// frames, each once (stacks of different samples may have the same
// frames).
func (t *tally) profile() *flamegraph.Profile {
	slices.Sort(t.touched)
	out := &flamegraph.Profile{Stacks: make([]flamegraph.Stack, 0, len(t.touched))}
	for _, id := range t.touched {
		out.Add(t.stacks[id].Frames, float64(t.counts[id]))
	}
	return out.Folded()
}
