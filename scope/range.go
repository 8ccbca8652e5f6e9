package scope

import (
	"fmt"

	"github.com/flamekit/flamekit/flamegraph"
)

// Range returns the folded profile of the samples in r (idle ones only
// with opts.Idle): the stacks FlameScope's flame graph of that range
// counts. A range not within the profile fails with an error wrapping
// ErrRangeOutside, one without a counted sample with one wrapping
// ErrRangeEmpty. (Options.Rows plays no part.)
func (p *Profile) Range(r Range, opts Options) (*flamegraph.Profile, error) {
	i, j, err := p.samples(r)
	if err != nil {
		return nil, err
	}
	t := newTally(p, opts.Idle)
	for _, id := range p.ids[i:j] {
		t.add(id, 1)
	}
	return finish(t, r)
}

// finish returns the profile of t, or ErrRangeEmpty.
func finish(t *tally, r Range) (*flamegraph.Profile, error) {
	if t.total == 0 {
		return nil, fmt.Errorf("%w: %v", ErrRangeEmpty, r)
	}
	return t.profile(), nil
}
