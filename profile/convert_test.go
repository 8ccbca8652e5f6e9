package profile

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	pprofile "github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/symbolize"
)

// TestPprofLabels converts samples of several processes and threads, which
// share label maps per thread, and checks each sample's labels and values
// after a round trip through the encoding.
func TestPprofLabels(t *testing.T) {
	frame := func(name string) []Location {
		return []Location{{Address: 0x1000, Frames: []symbolize.Frame{{Function: name, Kind: symbolize.KindNative, Module: symbolize.Module{Path: "/bin/x"}}}}}
	}
	p := &Profile{Event: Event{Name: "cpu-clock", Unit: "nanoseconds"}, Frequency: 99, Start: time.Unix(1, 0), Duration: time.Second}
	type want struct {
		pid, tid int
		comm     string
	}
	var wants []want
	for i := range 12 {
		w := want{pid: 100 + i%3, tid: i % 2 * (200 + i%3), comm: []string{"a", "b", "c"}[i%3]}
		wants = append(wants, w)
		p.Samples = append(p.Samples, Sample{PID: w.pid, TID: w.tid, Comm: w.comm, User: frame("f"), Count: uint64(i + 1), Value: uint64(i+1) * 1e7})
	}
	var buf bytes.Buffer
	if err := p.WritePprof(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := pprofile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Sample) != len(wants) {
		t.Fatalf("%d samples, want %d", len(back.Sample), len(wants))
	}
	for i, s := range back.Sample {
		w := wants[i]
		tid := int64(0)
		if t := s.NumLabel["tid"]; len(t) == 1 {
			tid = t[0]
		}
		if s.Label["comm"][0] != w.comm || s.NumLabel["pid"][0] != int64(w.pid) || tid != int64(w.tid) {
			t.Errorf("sample %d: labels %v %v, want %+v", i, s.Label, s.NumLabel, w)
		}
		if s.Value[0] != int64(i+1) || s.Value[1] != int64(i+1)*1e7 {
			t.Errorf("sample %d: values %v", i, s.Value)
		}
	}
}

// TestFoldedUnit folds a cpu-clock profile by samples and by periods: the
// periods are nanoseconds, and the flame graph says so.
func TestFoldedUnit(t *testing.T) {
	user := []Location{{Address: 0x1000, Frames: []symbolize.Frame{{Function: "hot", Kind: symbolize.KindNative}}}}
	p := &Profile{Event: Event{Name: "cpu-clock", Unit: "nanoseconds"}, Frequency: 100,
		Samples: []Sample{{PID: 1, Comm: "x", User: user, Count: 3, Value: 30_000_000}}}
	if u := p.Folded(FoldOptions{}).Unit; u != "" {
		t.Errorf("folded by samples: unit %q, want none (samples)", u)
	}
	byTime := p.Folded(FoldOptions{Values: true})
	if byTime.Unit != "nanoseconds" || byTime.Total() != 30_000_000 {
		t.Fatalf("folded by periods: unit %q, total %v; want nanoseconds, 30000000", byTime.Unit, byTime.Total())
	}
	var svg bytes.Buffer
	if err := flamegraph.Render(&svg, byTime, flamegraph.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(svg.String(), "x (30,000,000 nanoseconds, 100.00%)") || strings.Contains(svg.String(), "30,000,000 samples") {
		t.Errorf("the flame graph does not count nanoseconds:\n%s", svg.String())
	}
}

// TestPprofSampleTypes names the values of a clock and of an event as
// pprof expects them.
func TestPprofSampleTypes(t *testing.T) {
	for _, c := range []struct {
		event, wantType, wantUnit string
	}{
		{"cpu-clock", "cpu", "nanoseconds"},
		{"task-clock", "cpu", "nanoseconds"},
		{"page-faults", "page-faults", "count"},
		{"context-switches", "context-switches", "count"},
	} {
		ev, err := ParseEvent(c.event)
		if err != nil {
			t.Fatal(err)
		}
		pp := (&Profile{Event: ev, Period: 1}).Pprof()
		got := []string{pp.SampleType[0].Type, pp.SampleType[0].Unit, pp.SampleType[1].Type, pp.SampleType[1].Unit, pp.PeriodType.Type, pp.PeriodType.Unit}
		want := []string{"samples", "count", c.wantType, c.wantUnit, c.wantType, c.wantUnit}
		if !slices.Equal(got, want) {
			t.Errorf("%s: sample and period types %v, want %v", c.event, got, want)
		}
	}
}

// TestFrameNameOfUnnamedModule names a frame no symbol names by its
// module, bracketed once: kernel frames a user who may not read kallsyms
// gets are [kernel.kallsyms], not [[kernel.kallsyms]].
func TestFrameNameOfUnnamedModule(t *testing.T) {
	for path, want := range map[string]string{
		symbolize.KernelPath: "[kernel.kallsyms]",
		"/usr/lib/libc.so.6": "[libc.so.6]",
		"[vdso]":             "[vdso]",
	} {
		if got := frameName(symbolize.Frame{Module: symbolize.Module{Path: path}}, false, false); got != want {
			t.Errorf("frame of %s: %q, want %q", path, got, want)
		}
	}
}

// TestFoldedUnnamedKernelFrame folds a kernel stack whose leaf kallsyms
// does not name (a BPF program gone when it was read): like every frame
// of a kernel stack it is marked _[k], named after the kernel image, and a
// user frame no symbol names is not marked.
func TestFoldedUnnamedKernelFrame(t *testing.T) {
	unnamed := func(path string) symbolize.Frame {
		return symbolize.Frame{Module: symbolize.Module{Path: path}, Offset: 0x10}
	}
	p := &Profile{Event: Event{Name: "cpu-clock", Unit: "nanoseconds"}, Samples: []Sample{{
		Comm:   "x",
		Count:  1,
		User:   []Location{{Address: 0x1000, Frames: []symbolize.Frame{unnamed("/bin/x")}}},
		Kernel: []Location{{Address: 0xffffffffc0001000, Frames: []symbolize.Frame{unnamed(symbolize.KernelPath)}}, {Address: 0xffffffff81000000, Frames: []symbolize.Frame{{Function: "bpf_trace_run2", Kind: symbolize.KindKernel, Module: symbolize.Module{Path: symbolize.KernelPath}}}}},
	}}}
	var b bytes.Buffer
	p.Folded(FoldOptions{}).WriteTo(&b)
	if got, want := b.String(), "x;[x];bpf_trace_run2_[k];[kernel.kallsyms]_[k] 1\n"; got != want {
		t.Errorf("folded %q, want %q", got, want)
	}
}
