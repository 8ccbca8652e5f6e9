package scope

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
)

// pprofTimeLabels are the numeric sample labels ReadPprof takes a sample's
// time from, in this order.
var pprofTimeLabels = []string{"timestamp", "time"}

// pprofUnits are the units of those labels it reads, in seconds; a label
// without a unit counts nanoseconds.
var pprofUnits = map[string]float64{
	"": 1e-9, "nanoseconds": 1e-9, "ns": 1e-9,
	"microseconds": 1e-6, "us": 1e-6,
	"milliseconds": 1e-3, "ms": 1e-3,
	"seconds": 1, "s": 1,
}

// pprofMarker names the root frame that tells the stacks apart while
// collapse.Pprof names them.
const pprofMarker = "scope-stack-"

// ReadPprof reads a pprof protobuf profile, gzipped or not, whose samples
// carry their time in a numeric label: "timestamp" or, failing that,
// "time", in the label's unit (nanoseconds, microseconds, milliseconds or
// seconds, "ns", "us", "ms", "s"; nanoseconds when it has none), since any
// epoch. Each sample counts one, whatever its values (a timed sample is
// one event). Stacks are named as collapse.Pprof names them; none is idle.
// A sample without such a label fails with an error wrapping
// ErrNoTimestamp that names it.
func ReadPprof(r io.Reader) (*Profile, error) {
	prof, err := profile.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("%w: pprof: %w", ErrFormat, err)
	}
	b := newBuilder()
	var distinct []*profile.Sample
	var key []byte
	for i, s := range prof.Sample {
		t, ok, err := pprofTime(s)
		if err != nil {
			return nil, fmt.Errorf("%w: pprof sample %d: %w", ErrFormat, i, err)
		}
		if !ok {
			return nil, fmt.Errorf("%w: pprof sample %d has no %s label", ErrNoTimestamp, i, strings.Join(pprofTimeLabels, " or "))
		}
		key = key[:0]
		for _, loc := range s.Location {
			key = strconv.AppendUint(append(key, ','), loc.ID, 10)
		}
		id, added := b.stack(key, false)
		if added {
			distinct = append(distinct, s)
		}
		b.add(t, id)
	}
	if err := namePprof(prof, distinct, b.p.stacks); err != nil {
		return nil, err
	}
	return b.profile()
}

// pprofTime returns a sample's time in seconds.
func pprofTime(s *profile.Sample) (float64, bool, error) {
	for _, k := range pprofTimeLabels {
		v := s.NumLabel[k]
		if len(v) == 0 {
			continue
		}
		unit := ""
		if u := s.NumUnit[k]; len(u) > 0 {
			unit = u[0]
		}
		scale, ok := pprofUnits[unit]
		if !ok {
			return 0, false, fmt.Errorf("label %s has unit %q", k, unit)
		}
		return float64(v[0]) * scale, true, nil
	}
	return 0, false, nil
}

// namePprof sets the Frames of stacks, one per distinct sample, as
// collapse.Pprof names them: it folds a copy of prof with one sample per
// distinct stack, under a root frame that names the stack.
func namePprof(prof *profile.Profile, distinct []*profile.Sample, stacks []Stack) error {
	cp := prof.Copy()
	cp.Sample = nil
	var maxLoc, maxFn uint64
	for _, l := range cp.Location {
		maxLoc = max(maxLoc, l.ID)
	}
	for _, f := range cp.Function {
		maxFn = max(maxFn, f.ID)
	}
	locs := make(map[uint64]*profile.Location, len(cp.Location))
	for _, l := range cp.Location {
		locs[l.ID] = l
	}
	ones := make([]int64, len(cp.SampleType))
	for i := range ones {
		ones[i] = 1
	}
	for id, s := range distinct {
		fn := &profile.Function{ID: maxFn + 1 + uint64(id), Name: pprofMarker + strconv.Itoa(id)}
		marker := &profile.Location{ID: maxLoc + 1 + uint64(id), Line: []profile.Line{{Function: fn}}}
		cp.Function, cp.Location = append(cp.Function, fn), append(cp.Location, marker)
		sample := &profile.Sample{Value: ones, Location: make([]*profile.Location, 0, len(s.Location)+1)}
		for _, l := range s.Location {
			sample.Location = append(sample.Location, locs[l.ID])
		}
		sample.Location = append(sample.Location, marker)
		cp.Sample = append(cp.Sample, sample)
	}
	var buf bytes.Buffer
	if err := cp.WriteUncompressed(&buf); err != nil {
		return fmt.Errorf("scope: naming pprof stacks: %w", err)
	}
	folded, _, err := collapse.Pprof(&buf, collapse.PprofOptions{})
	if err != nil {
		return fmt.Errorf("scope: naming pprof stacks: %w", err)
	}
	for _, s := range folded.Stacks {
		first, rest, _ := strings.Cut(s.Frames, ";")
		id, err := strconv.Atoi(strings.TrimPrefix(first, pprofMarker))
		if err != nil || !strings.HasPrefix(first, pprofMarker) || id >= len(stacks) {
			continue
		}
		if rest == "" {
			rest = flamegraph.UnknownFrame // a sample without locations
		}
		stacks[id].Frames = rest
	}
	return nil
}
