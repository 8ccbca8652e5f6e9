package profile

import (
	"cmp"
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
// _[k], JIT frames _[j] and inlined ones _[i], weighted by sample count
// (by microseconds in off-CPU and wall profiles).
type FoldOptions struct {
	PID bool // root frame "comm-PID"
	TID bool // root frame "comm-PID/TID" (needs Options.PerThread)
	// Values weights stacks by the sum of their periods instead of by
	// samples: the folded profile's Unit is then the event's
	// ("nanoseconds" for cpu-clock, "events" for page-faults). Off-CPU
	// and wall profiles are always weighted so, in microseconds.
	Values bool
	// NoAnnotations leaves frames without the _[k], _[j], _[i] and _[w]
	// suffixes.
	NoAnnotations bool
}

// OffCPUFrame tops the blocked stacks of a wall profile (ModeWall) in
// Folded: the stacks without it ran on a CPU.
const OffCPUFrame = "[off-cpu]"

// Folded returns the profile as folded stacks, ready for flamegraph.Render,
// counted in samples, or in the event's unit with FoldOptions.Values.
//
// Off-CPU and wall profiles are weighted by microseconds, on CPU or
// blocked. In a wall profile the blocked stacks end with an OffCPUFrame
// frame. A blocked stack with its waker (Options.Wakeups) is folded as
// bcc's offwaketime -f folds it, for a chain graph: the blocked stack
// root first, a flamegraph.WakerSeparator frame ("--"), then the waker's
// kernel and user frames leaf first, and the waker's name, each marked
// flamegraph.WakerSuffix ("_[w]"), as flamegraph.pl's chain palette marks
// them: drawn above the blocked stack, the waker's stack hangs upside
// down from where it woke the blocked thread.
func (p *Profile) Folded(opts FoldOptions) *flamegraph.Profile {
	out := &flamegraph.Profile{}
	values := opts.Values || p.timeProfile()
	if values {
		out.Unit = p.Event.Unit
	}
	annotate := !opts.NoAnnotations
	wall := p.mode() == ModeWall
	var b strings.Builder
	for _, s := range p.Samples {
		b.Reset()
		b.WriteString(foldedComm(s.Comm))
		switch {
		case opts.TID:
			fmt.Fprintf(&b, "-%d/%d", s.PID, s.TID)
		case opts.PID:
			fmt.Fprintf(&b, "-%d", s.PID)
		}
		for k, stack := range [][]Location{s.User, s.Kernel} {
			for i := len(stack) - 1; i >= 0; i-- {
				frames := stack[i].Frames
				for j := len(frames) - 1; j >= 0; j-- {
					b.WriteByte(';')
					b.WriteString(frameName(frames[j], annotate, k == 1))
				}
			}
		}
		if wall && s.OffCPU {
			b.WriteString(";" + OffCPUFrame)
		}
		if s.Waker != nil {
			foldWaker(&b, s.Waker, annotate)
		}
		v := s.Count
		if values {
			v = s.Value
		}
		out.Add(b.String(), float64(v))
	}
	return out.Folded()
}

// foldWaker appends a waker to a folded blocked stack, as offwaketime
// does: "--", its kernel then user frames leaf first, its name; each
// marked _[w] when annotate is set.
func foldWaker(b *strings.Builder, w *Waker, annotate bool) {
	b.WriteString(";" + flamegraph.WakerSeparator)
	add := func(name string) {
		b.WriteByte(';')
		b.WriteString(name)
		if annotate {
			b.WriteString(flamegraph.WakerSuffix)
		}
	}
	for _, stack := range [][]Location{w.Kernel, w.User} {
		for _, loc := range stack {
			for _, f := range loc.Frames {
				add(frameName(f, false, false))
			}
		}
	}
	add(foldedComm(w.Comm))
}

// foldedComm is a comm as a folded root frame: no ';' or line break, and
// its spaces made '_'.
func foldedComm(comm string) string {
	return strings.ReplaceAll(flamegraph.FrameName(comm), " ", "_")
}

// mode is the mode p was recorded in, told by its event.
func (p *Profile) mode() Mode {
	switch p.Event.Name {
	case offCPUEvent:
		return ModeOffCPU
	case wallEvent:
		return ModeWall
	}
	return ModeCPU
}

// hasWakers reports whether a sample of p has its waker.
func (p *Profile) hasWakers() bool {
	for _, s := range p.Samples {
		if s.Waker != nil {
			return true
		}
	}
	return false
}

// timeProfile reports whether p counts time in microseconds, on CPU or
// blocked (ModeOffCPU, ModeWall), rather than samples of an event.
func (p *Profile) timeProfile() bool {
	return p.mode() != ModeCPU
}

// frameName is a frame as a folded stack shows it. Every frame of a
// kernel stack is marked a kernel frame, those kallsyms does not name too
// (a BPF program gone by the time the symbolizer read it, any address when
// kallsyms hides them).
func frameName(f symbolize.Frame, annotate, kernel bool) string {
	name := f.Function
	if name == "" {
		name = flamegraph.UnknownFrame
		if base := filepath.Base(f.Module.Path); f.Module.Path != "" {
			name = base
			if !strings.HasPrefix(base, "[") { // [kernel.kallsyms], [vdso] are bracketed already
				name = "[" + base + "]"
			}
		}
	}
	name = flamegraph.FrameName(name)
	if !annotate {
		return name
	}
	switch {
	case f.Inlined:
		return name + flamegraph.InlinedSuffix
	case kernel || f.Kind == symbolize.KindKernel:
		return name + flamegraph.KernelSuffix
	case f.Kind == symbolize.KindJIT:
		return name + flamegraph.JITSuffix
	}
	return name
}

// WriteFlameGraph renders the profile as an interactive SVG flame graph.
// In the chain palette the stacks are folded without annotations: the
// palette marks the frames after "--" _[w] itself, as flamegraph.pl's does
// for offwaketime's output, which it then draws alike. An empty Title says the event and the samples; off-CPU and wall
// profiles take FlameGraphDefaults' title, count name and palette where
// opts leaves them empty or at their zero value (PaletteHot): to draw them
// hot, render Folded with flamegraph.Render.
func (p *Profile) WriteFlameGraph(w io.Writer, opts flamegraph.Options) error {
	title, countName, colors := FlameGraphDefaults(p.mode(), p.hasWakers())
	if opts.Title == "" {
		opts.Title = cmp.Or(title, fmt.Sprintf("%s profile (%d samples)", p.Event.Name, p.Total()))
	}
	opts.CountName = cmp.Or(opts.CountName, countName)
	opts.Colors = cmp.Or(opts.Colors, colors)
	return flamegraph.Render(w, p.Folded(FoldOptions{NoAnnotations: opts.Colors == flamegraph.PaletteChain}), opts)
}

// FlameGraphDefaults returns the title, count name and palette flame
// graphs of a mode are drawn with unless told otherwise, as flamegraph.pl
// users draw bcc's: off-CPU time "Off-CPU Time Flame Graph", counted in
// "us", PaletteIO; with wakeups "Off-Wake Time Flame Graph", "us",
// PaletteChain (the wakers aqua); wall "Wall-Clock Flame Graph", "us",
// PaletteHot. ModeCPU has none ("", "", PaletteHot).
func FlameGraphDefaults(m Mode, wakeups bool) (title, countName string, colors flamegraph.Palette) {
	switch {
	case m == ModeOffCPU && wakeups:
		return "Off-Wake Time Flame Graph", "us", flamegraph.PaletteChain
	case m == ModeOffCPU:
		return "Off-CPU Time Flame Graph", "us", flamegraph.PaletteIO
	case m == ModeWall:
		return "Wall-Clock Flame Graph", "us", flamegraph.PaletteHot
	}
	return "", "", flamegraph.PaletteHot
}

// Pprof returns the profile in pprof's model: sample types samples/count
// and EVENT/UNIT (cpu/nanoseconds for the clocks, as Go's CPU profiles
// name them; page-faults/count and the like for events), one mapping per module
// with its build-id, locations with their functions and inlined lines, and
// the labels pid, tid and comm. `go tool pprof` reads what it writes.
//
// Off-CPU profiles have the sample types blocks/count and
// off-cpu/microseconds; wall profiles samples/count (samples and blocks)
// and wall/microseconds, with the label state "on-cpu" or "off-cpu" (`go
// tool pprof -tagfocus state=off-cpu` keeps the blocked time). A waker
// (Options.Wakeups) is in the labels waker_comm, waker_pid and waker_tid;
// its stacks are in Folded's output, not in pprof's.
func (p *Profile) Pprof() *profile.Profile {
	countType, valueType, unit := "samples", p.Event.Name, p.Event.Unit
	switch {
	case p.Event.Name == "cpu-clock" || p.Event.Name == "task-clock":
		valueType = "cpu"
	case p.mode() == ModeOffCPU:
		countType = "blocks"
	}
	if unit == "events" || unit == "" {
		unit = "count" // pprof's unit of things counted
	}
	pp := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: countType, Unit: "count"}, {Type: valueType, Unit: unit}},
		PeriodType:    &profile.ValueType{Type: valueType, Unit: unit},
		Period:        int64(p.Period),
		TimeNanos:     p.Start.UnixNano(),
		DurationNanos: p.Duration.Nanoseconds(),
	}
	switch {
	case p.Frequency > 0 && unit == "nanoseconds":
		pp.Period = int64(1e9 / p.Frequency)
	case p.Frequency > 0 && unit == "microseconds":
		pp.Period = int64(1e6 / p.Frequency)
	}
	wall := p.mode() == ModeWall
	b := pprofBuilder{pp: pp, mappings: map[symbolize.Module]*profile.Mapping{}, functions: map[[2]string]*profile.Function{}, locations: map[pprofLocKey]*profile.Location{}}
	labels := map[pprofLabelKey]*profile.Sample{} // samples of one thread share their label maps
	values := make([]int64, 2*len(p.Samples))
	for i, s := range p.Samples {
		ps := &profile.Sample{Value: values[2*i : 2*i+2 : 2*i+2]}
		ps.Value[0], ps.Value[1] = int64(s.Count), int64(s.Value)
		key := pprofLabelKey{thread: pprofThread{s.PID, s.TID, s.Comm}, offCPU: wall && s.OffCPU}
		if w := s.Waker; w != nil {
			key.waker = pprofThread{w.PID, w.TID, w.Comm}
		}
		if l := labels[key]; l != nil {
			ps.Label, ps.NumLabel = l.Label, l.NumLabel
		} else {
			ps.Label, ps.NumLabel = pprofLabels(s, wall)
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

// pprofLabels returns the labels of a sample: its thread's, its state in
// a wall profile, its waker's.
func pprofLabels(s Sample, wall bool) (map[string][]string, map[string][]int64) {
	label := map[string][]string{"comm": {s.Comm}}
	num := map[string][]int64{"pid": {int64(s.PID)}}
	if s.TID != 0 {
		num["tid"] = []int64{int64(s.TID)}
	}
	if wall {
		label["state"] = []string{"on-cpu"}
		if s.OffCPU {
			label["state"] = []string{"off-cpu"}
		}
	}
	if w := s.Waker; w != nil {
		label["waker_comm"] = []string{w.Comm}
		num["waker_pid"] = []int64{int64(w.PID)}
		num["waker_tid"] = []int64{int64(w.TID)}
	}
	return label, num
}

// WritePprof writes the profile as a gzipped pprof protobuf.
func (p *Profile) WritePprof(w io.Writer) error {
	return p.Pprof().Write(w)
}

// pprofLabelKey is what makes a sample's labels: its thread, its state,
// its waker's thread (zero without one).
type pprofLabelKey struct {
	thread, waker pprofThread
	offCPU        bool
}

// pprofThread is a thread as labels name it.
type pprofThread struct {
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
