package main

import (
	"io"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
)

// writeFoldedPprof writes a folded profile as a gzipped pprof protobuf:
// a sample a stack, valued by its count (samples/count), a location a
// distinct frame name, each with a function of that name.
func writeFoldedPprof(w io.Writer, p *flamegraph.Profile) error {
	pp := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "samples", Unit: "count"}},
		PeriodType: &profile.ValueType{Type: "samples", Unit: "count"},
		Period:     1,
	}
	locs := map[string]*profile.Location{}
	for _, s := range p.Stacks {
		frames := strings.Split(strings.TrimRight(s.Frames, ";"), ";")
		sample := &profile.Sample{Value: []int64{int64(s.Count)}, Location: make([]*profile.Location, 0, len(frames))}
		for i := len(frames) - 1; i >= 0; i-- { // the leaf first
			loc := locs[frames[i]]
			if loc == nil {
				id := uint64(len(locs) + 1)
				fn := &profile.Function{ID: id, Name: frames[i], SystemName: frames[i]}
				loc = &profile.Location{ID: id, Line: []profile.Line{{Function: fn}}}
				locs[frames[i]] = loc
				pp.Function = append(pp.Function, fn)
				pp.Location = append(pp.Location, loc)
			}
			sample.Location = append(sample.Location, loc)
		}
		pp.Sample = append(pp.Sample, sample)
	}
	return pp.Write(w)
}
