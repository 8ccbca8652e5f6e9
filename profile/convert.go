package profile

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/symbolize"
)

// FoldOptions tunes Folded. The zero value gives what stackcollapse-perf.pl
// --all gives: the process name as the root frame, kernel frames marked
// _[k], JIT frames _[j] and inlined ones _[i], weighted by sample count.
type FoldOptions struct {
	PID bool // root frame "comm-PID"
	TID bool // root frame "comm-PID/TID" (needs Options.PerThread)
	// Values weights stacks by the sum of their periods instead of by
	// samples: the folded profile's Unit is then the event's
	// ("nanoseconds" for cpu-clock, "events" for page-faults).
	Values bool
	// NoAnnotations leaves frames without the _[k], _[j], _[i] suffixes.
	NoAnnotations bool
}

// Folded returns the profile as folded stacks, ready for flamegraph.Render,
// counted in samples, or in the event's unit with FoldOptions.Values.
func (p *Profile) Folded(opts FoldOptions) *flamegraph.Profile {
	out := &flamegraph.Profile{}
	if opts.Values {
		out.Unit = p.Event.Unit
	}
	var b strings.Builder
	for _, s := range p.Samples {
		b.Reset()
		b.WriteString(strings.ReplaceAll(flamegraph.FrameName(s.Comm), " ", "_"))
		switch {
		case opts.TID:
			fmt.Fprintf(&b, "-%d/%d", s.PID, s.TID)
		case opts.PID:
			fmt.Fprintf(&b, "-%d", s.PID)
		}
		for _, stack := range [][]Location{s.User, s.Kernel} {
			for i := len(stack) - 1; i >= 0; i-- {
				frames := stack[i].Frames
				for j := len(frames) - 1; j >= 0; j-- {
					b.WriteByte(';')
					b.WriteString(frameName(frames[j], !opts.NoAnnotations))
				}
			}
		}
		v := s.Count
		if opts.Values {
			v = s.Value
		}
		out.Add(b.String(), float64(v))
	}
	return out.Folded()
}

// frameName is a frame as a folded stack shows it.
func frameName(f symbolize.Frame, annotate bool) string {
	name := f.Function
	if name == "" {
		name = flamegraph.UnknownFrame
		if f.Module.Path != "" {
			name = "[" + filepath.Base(f.Module.Path) + "]"
		}
	}
	name = flamegraph.FrameName(name)
	if !annotate {
		return name
	}
	switch {
	case f.Inlined:
		return name + flamegraph.InlinedSuffix
	case f.Kind == symbolize.KindKernel:
		return name + flamegraph.KernelSuffix
	case f.Kind == symbolize.KindJIT:
		return name + flamegraph.JITSuffix
	}
	return name
}

// WriteFlameGraph renders the profile as an interactive SVG flame graph.
func (p *Profile) WriteFlameGraph(w io.Writer, opts flamegraph.Options) error {
	if opts.Title == "" {
		opts.Title = fmt.Sprintf("%s profile (%d samples)", p.Event.Name, p.Total())
	}
	return flamegraph.Render(w, p.Folded(FoldOptions{}), opts)
}

// Pprof returns the profile in pprof's model: sample types samples/count
// and EVENT/UNIT (cpu/nanoseconds for the clocks, as Go's CPU profiles
// name them; page-faults/count and the like for events), one mapping per module
// with its build-id, locations with their functions and inlined lines, and
// the labels pid, tid and comm. `go tool pprof` reads what it writes.
func (p *Profile) Pprof() *profile.Profile {
	valueType, unit := p.Event.Name, p.Event.Unit
	if p.Event.Name == "cpu-clock" || p.Event.Name == "task-clock" {
		valueType = "cpu"
	}
	if unit == "events" || unit == "" {
		unit = "count" // pprof's unit of things counted
	}
	pp := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: valueType, Unit: unit}},
		PeriodType:    &profile.ValueType{Type: valueType, Unit: unit},
		Period:        int64(p.Period),
		TimeNanos:     p.Start.UnixNano(),
		DurationNanos: p.Duration.Nanoseconds(),
	}
	if p.Frequency > 0 && unit == "nanoseconds" {
		pp.Period = int64(1e9 / p.Frequency)
	}
	b := pprofBuilder{pp: pp, mappings: map[symbolize.Module]*profile.Mapping{}, functions: map[[2]string]*profile.Function{}, locations: map[pprofLocKey]*profile.Location{}}
	labels := map[pprofLabelKey]*profile.Sample{} // samples of one thread share their label maps
	values := make([]int64, 2*len(p.Samples))
	for i, s := range p.Samples {
		ps := &profile.Sample{Value: values[2*i : 2*i+2 : 2*i+2]}
		ps.Value[0], ps.Value[1] = int64(s.Count), int64(s.Value)
		key := pprofLabelKey{s.PID, s.TID, s.Comm}
		if l := labels[key]; l != nil {
			ps.Label, ps.NumLabel = l.Label, l.NumLabel
		} else {
			ps.Label = map[string][]string{"comm": {s.Comm}}
			ps.NumLabel = map[string][]int64{"pid": {int64(s.PID)}}
			if s.TID != 0 {
				ps.NumLabel["tid"] = []int64{int64(s.TID)}
			}
			labels[key] = ps
		}
		ps.Location = make([]*profile.Location, 0, len(s.Kernel)+len(s.User))
		// pprof wants the leaf first: the kernel stack, then the user one.
		for _, stack := range [][]Location{s.Kernel, s.User} {
			for _, loc := range stack {
				ps.Location = append(ps.Location, b.location(s.PID, loc))
			}
		}
		pp.Sample = append(pp.Sample, ps)
	}
	return pp
}

// WritePprof writes the profile as a gzipped pprof protobuf.
func (p *Profile) WritePprof(w io.Writer) error {
	return p.Pprof().Write(w)
}

type pprofLabelKey struct {
	pid, tid int
	comm     string
}

type pprofLocKey struct {
	pid  int
	addr uint64
}

// pprofBuilder deduplicates mappings, functions and locations.
type pprofBuilder struct {
	pp        *profile.Profile
	mappings  map[symbolize.Module]*profile.Mapping
	functions map[[2]string]*profile.Function
	locations map[pprofLocKey]*profile.Location
}

func (b *pprofBuilder) location(pid int, loc Location) *profile.Location {
	key := pprofLocKey{pid, loc.Address}
	if loc.Frames[0].Kind == symbolize.KindKernel {
		key.pid = -1 // one kernel for every process
	}
	if l := b.locations[key]; l != nil {
		return l
	}
	l := &profile.Location{ID: uint64(len(b.pp.Location) + 1), Address: loc.Address}
	f0 := loc.Frames[0]
	if f0.Module.Path != "" {
		l.Mapping = b.mapping(f0.Module)
	}
	for _, f := range loc.Frames {
		if f.Function == "" {
			continue
		}
		l.Line = append(l.Line, profile.Line{Function: b.function(f), Line: int64(f.Line), Column: int64(f.Column)})
	}
	b.locations[key] = l
	b.pp.Location = append(b.pp.Location, l)
	return l
}

func (b *pprofBuilder) mapping(m symbolize.Module) *profile.Mapping {
	if pm := b.mappings[m]; pm != nil {
		return pm
	}
	pm := &profile.Mapping{ID: uint64(len(b.pp.Mapping) + 1), File: m.Path, BuildID: m.BuildID, HasFunctions: true}
	b.mappings[m] = pm
	b.pp.Mapping = append(b.pp.Mapping, pm)
	return pm
}

func (b *pprofBuilder) function(f symbolize.Frame) *profile.Function {
	key := [2]string{f.Function, f.File}
	if pf := b.functions[key]; pf != nil {
		return pf
	}
	pf := &profile.Function{ID: uint64(len(b.pp.Function) + 1), Name: f.Function, SystemName: f.Function, Filename: f.File}
	b.functions[key] = pf
	b.pp.Function = append(b.pp.Function, pf)
	return pf
}
