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

// tally sums the samples of a profile's stacks by their folded frames.
type tally struct {
	p       *Profile
	idle    bool     // count idle stacks
	counts  []uint32 // by rank (Profile.rank)
	touched []uint32 // ranks counted
	total   int
}

func newTally(p *Profile, idle bool) *tally {
	return &tally{p: p, idle: idle, counts: make([]uint32, len(p.framesByRank))}
}

// add counts n samples of stack id.
func (t *tally) add(id, n uint32) {
	if !t.idle && t.p.stacks[id].Idle {
		return
	}
	r := t.p.rank[id]
	if t.counts[r] == 0 {
		t.touched = append(t.touched, r)
	}
	t.counts[r] += n
	t.total += int(n)
}

// profile returns the counted stacks as a folded profile, sorted by
// frames, each once.
func (t *tally) profile() *flamegraph.Profile {
	slices.Sort(t.touched)
	out := &flamegraph.Profile{Stacks: make([]flamegraph.Stack, 0, len(t.touched))}
	for _, r := range t.touched {
		out.Add(t.p.framesByRank[r], float64(t.counts[r]))
	}
	return out
}
