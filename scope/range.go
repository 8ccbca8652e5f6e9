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

// Diff returns the differential profile of two ranges, as flamekit diff
// makes one (flamegraph.Diff, with opts): before's counts in Before, after's
// in Count. The ranges may come from different profiles: Range them and
// call flamegraph.Diff.
func (p *Profile) Diff(before, after Range, opts Options, diff flamegraph.DiffOptions) (*flamegraph.Profile, error) {
	b, err := p.Range(before, opts)
	if err != nil {
		return nil, err
	}
	a, err := p.Range(after, opts)
	if err != nil {
		return nil, err
	}
	return flamegraph.Diff(b, a, diff), nil
}
