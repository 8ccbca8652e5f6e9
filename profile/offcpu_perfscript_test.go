package profile_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/flamegraph/collapse"
	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

// TestWritePerfScriptWall writes a wall profile's blocks as perf record
// --off-cpu does (event offcpu-time, period the nanoseconds blocked) and
// its on-CPU samples as cpu-clock ones: each event collapsed gives the
// stacks Folded gives, in nanoseconds rather than microseconds.
func TestWritePerfScriptWall(t *testing.T) {
	fn := func(names ...string) []profile.Location {
		locs := make([]profile.Location, len(names))
		for i, n := range names {
			locs[i] = profile.Location{Address: 0x401000 + uint64(i), Frames: []symbolize.Frame{{Function: n, Module: symbolize.Module{Path: "/bin/w"}, Kind: symbolize.KindNative}}}
		}
		return locs
	}
	ev, err := profile.ParseEvent("cpu-clock")
	if err != nil {
		t.Fatal(err)
	}
	ev.Name, ev.Unit = "wall", "microseconds"
	p := &profile.Profile{
		Event: ev, Frequency: 99, Start: time.Unix(1700000000, 0), StartMonotonic: 100 * time.Second, Duration: time.Second,
		Samples: []profile.Sample{
			{PID: 5, TID: 5, Comm: "w", User: fn("read", "wait_for_answer", "main"), OffCPU: true},
			{PID: 5, TID: 5, Comm: "w", User: fn("spin", "main")},
		},
		Timed: []profile.TimedSample{
			{Time: 10 * time.Millisecond, PID: 5, TID: 5, Sample: 0, Value: 3_000_400},
			{Time: 11 * time.Millisecond, PID: 5, TID: 5, Sample: 1, Value: 10_101_010},
			{Time: 20 * time.Millisecond, PID: 5, TID: 5, Sample: 0, Value: 2_999_900},
		},
	}
	for _, ts := range p.Timed {
		s := &p.Samples[ts.Sample]
		s.Count++
		s.Value += ts.Value
	}
	for i := range p.Samples {
		p.Samples[i].Value = (p.Samples[i].Value + 500) / 1000 // µs, as sessions make them
	}
	var b bytes.Buffer
	if err := p.WritePerfScript(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"w     5/5     [000]   100.010000:    3000400 offcpu-time: \n\t          401000 read (/bin/w)\n",
		"w     5/5     [000]   100.011000:   10101010 cpu-clock: \n\t          401000 spin (/bin/w)\n",
		"w     5/5     [000]   100.020000:    2999900 offcpu-time: \n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("perf script text lacks %q:\n%s", want, text)
		}
	}
	folded := p.Folded(profile.FoldOptions{})
	for _, c := range []struct {
		event, leaf string
	}{{"offcpu-time", "[off-cpu]"}, {"cpu-clock", "spin"}} {
		got, _, err := collapse.Perf(strings.NewReader(text), collapse.PerfOptions{EventFilter: c.event})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Stacks) != 1 {
			t.Fatalf("%s: %d stacks, want 1", c.event, len(got.Stacks))
		}
		want := folded.Stacks[0]
		for _, st := range folded.Stacks {
			if strings.HasSuffix(st.Frames, ";"+c.leaf) {
				want = st
			}
		}
		wantFrames := strings.TrimSuffix(want.Frames, ";"+profile.OffCPUFrame)
		if got.Stacks[0].Frames != wantFrames || math.Round(got.Stacks[0].Count/1000) != want.Count {
			t.Errorf("%s collapsed: %s %v; want %s %v µs", c.event, got.Stacks[0].Frames, got.Stacks[0].Count, wantFrames, want.Count)
		}
	}
}
