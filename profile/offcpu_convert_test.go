package profile

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	pprofile "github.com/google/pprof/profile"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/symbolize"
)

// stackOf makes a stack, leaf first, of functions of one kind.
func stackOf(kind symbolize.Kind, names ...string) []Location {
	locs := make([]Location, len(names))
	for i, n := range names {
		locs[i] = Location{Address: 0x1000 + uint64(i), Frames: []symbolize.Frame{{Function: n, Kind: kind, Module: symbolize.Module{Path: "/bin/x"}}}}
	}
	return locs
}

// offWakeProfile is an off-CPU profile whose main thread blocked in a
// pipe read, woken by its helper thread's write, and in a nanosleep,
// woken by no thread seen.
func offWakeProfile() *Profile {
	return &Profile{
		Event: Event{Name: offCPUEvent, Unit: "microseconds"}, Start: time.Unix(1, 0), Duration: time.Second,
		Samples: []Sample{{
			PID: 10, TID: 10, Comm: "split", OffCPU: true, Count: 100, Value: 300_000,
			User:   stackOf(symbolize.KindNative, "read", "wait_for_answer", "main"),
			Kernel: stackOf(symbolize.KindKernel, "schedule", "pipe_read", "ksys_read"),
			Waker: &Waker{
				PID: 10, TID: 11, Comm: "helper",
				User:   stackOf(symbolize.KindNative, "write", "answer_later", "start_thread"),
				Kernel: stackOf(symbolize.KindKernel, "__wake_up", "pipe_write"),
			},
		}, {
			PID: 10, TID: 10, Comm: "split", OffCPU: true, Count: 100, Value: 200_000,
			User:   stackOf(symbolize.KindNative, "clock_nanosleep", "nap", "main"),
			Kernel: stackOf(symbolize.KindKernel, "schedule", "do_nanosleep"),
		}},
	}
}

// TestFoldedOffWake folds blocked stacks with their wakers as bcc's
// offwaketime -f does, each waker frame marked _[w], weighted by
// microseconds blocked; the flame graph draws the separator grey and the
// wakers aqua in the chain palette, and counts in us.
func TestFoldedOffWake(t *testing.T) {
	p := offWakeProfile()
	folded := p.Folded(FoldOptions{})
	if folded.Unit != "microseconds" {
		t.Errorf("unit %q, want microseconds", folded.Unit)
	}
	var got strings.Builder
	folded.WriteTo(&got)
	want := "split;main;nap;clock_nanosleep;do_nanosleep_[k];schedule_[k] 200000\n" +
		"split;main;wait_for_answer;read;ksys_read_[k];pipe_read_[k];schedule_[k];--;__wake_up_[w];pipe_write_[w];write_[w];answer_later_[w];start_thread_[w];helper_[w] 300000\n"
	if got.String() != want {
		t.Errorf("folded:\n%s\nwant:\n%s", got.String(), want)
	}
	plain := new(strings.Builder)
	p.Folded(FoldOptions{NoAnnotations: true}).WriteTo(plain)
	if !strings.Contains(plain.String(), ";schedule;--;__wake_up;pipe_write;write;answer_later;start_thread;helper 300000") {
		t.Errorf("folded without annotations:\n%s", plain)
	}

	var svg bytes.Buffer
	if err := p.WriteFlameGraph(&svg, flamegraph.Options{}); err != nil {
		t.Fatal(err)
	}
	out := svg.String()
	for _, w := range []string{"Off-Wake Time Flame Graph", "answer_later (300,000 us, 60.00%)", "helper (300,000 us, 60.00%)", "-- (300,000 us, 60.00%)", "nap (200,000 us, 40.00%)"} {
		if !strings.Contains(out, w) {
			t.Errorf("the flame graph lacks %q", w)
		}
	}
	if strings.Contains(out, "_[w]") {
		t.Errorf("the chain palette's graph shows a waker annotation: it was marked twice")
	}
}

// TestFlameGraphDefaults draws an off-CPU profile with the io palette and
// its title unless told otherwise, and a CPU profile as before.
func TestFlameGraphDefaults(t *testing.T) {
	p := offWakeProfile()
	p.Samples[0].Waker = nil
	for _, c := range []struct {
		opts        flamegraph.Options
		title, unit string
		colors      flamegraph.Palette
	}{
		{flamegraph.Options{}, "Off-CPU Time Flame Graph", "us", flamegraph.PaletteIO},
		{flamegraph.Options{Title: "mine", CountName: "µs", Colors: flamegraph.PaletteBlue}, "mine", "µs", flamegraph.PaletteBlue},
	} {
		var svg bytes.Buffer
		if err := p.WriteFlameGraph(&svg, c.opts); err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		opts := c.opts
		opts.Title, opts.CountName, opts.Colors = c.title, c.unit, c.colors
		if err := flamegraph.Render(&want, p.Folded(FoldOptions{}), opts); err != nil {
			t.Fatal(err)
		}
		if svg.String() != want.String() {
			t.Errorf("options %+v: the graph is not drawn with title %q, count name %q, palette %v", c.opts, c.title, c.unit, c.colors)
		}
	}
	if title, _, _ := FlameGraphDefaults(ModeWall, false); title != "Wall-Clock Flame Graph" {
		t.Errorf("wall title %q", title)
	}
}

// TestFoldedWall marks the blocked stacks of a wall profile with an
// [off-cpu] leaf frame, weighs every stack by microseconds, and labels
// each pprof sample with its state.
func TestFoldedWall(t *testing.T) {
	p := offWakeProfile()
	p.Event = Event{Name: wallEvent, Unit: "microseconds"}
	p.Frequency = 1000
	p.Samples[0].Waker = nil
	p.Samples = append(p.Samples, Sample{PID: 10, TID: 10, Comm: "split", Count: 50, Value: 50_000, User: stackOf(symbolize.KindNative, "spin", "main")})
	var got strings.Builder
	p.Folded(FoldOptions{}).WriteTo(&got)
	want := "split;main;nap;clock_nanosleep;do_nanosleep_[k];schedule_[k];[off-cpu] 200000\n" +
		"split;main;spin 50000\n" +
		"split;main;wait_for_answer;read;ksys_read_[k];pipe_read_[k];schedule_[k];[off-cpu] 300000\n"
	if got.String() != want {
		t.Errorf("folded:\n%s\nwant:\n%s", got.String(), want)
	}

	back := pprofRoundTrip(t, p)
	types := []string{back.SampleType[0].Type, back.SampleType[0].Unit, back.SampleType[1].Type, back.SampleType[1].Unit}
	if !slices.Equal(types, []string{"samples", "count", "wall", "microseconds"}) || back.Period != 1000 {
		t.Errorf("sample types %v, period %d; want samples/count wall/microseconds, 1000 µs", types, back.Period)
	}
	for i, s := range back.Sample {
		want := "on-cpu"
		if p.Samples[i].OffCPU {
			want = "off-cpu"
		}
		if got := s.Label["state"]; !slices.Equal(got, []string{want}) || s.Value[1] != int64(p.Samples[i].Value) {
			t.Errorf("sample %d: state %v, value %d; want %s, %d", i, got, s.Value[1], want, p.Samples[i].Value)
		}
	}
}

// TestPprofOffCPU names an off-CPU profile's values blocks and
// off-cpu/microseconds, and its wakers in labels.
func TestPprofOffCPU(t *testing.T) {
	p := offWakeProfile()
	back := pprofRoundTrip(t, p)
	types := []string{back.SampleType[0].Type, back.SampleType[0].Unit, back.SampleType[1].Type, back.SampleType[1].Unit}
	if !slices.Equal(types, []string{"blocks", "count", "off-cpu", "microseconds"}) {
		t.Errorf("sample types %v, want blocks/count off-cpu/microseconds", types)
	}
	s := back.Sample[0]
	if s.Label["waker_comm"][0] != "helper" || s.NumLabel["waker_pid"][0] != 10 || s.NumLabel["waker_tid"][0] != 11 || s.Label["state"] != nil {
		t.Errorf("labels %v %v, want the waker helper 10/11 and no state", s.Label, s.NumLabel)
	}
	if back.Sample[1].Label["waker_comm"] != nil {
		t.Errorf("a sample without waker has labels %v", back.Sample[1].Label)
	}
}

func pprofRoundTrip(t *testing.T, p *Profile) *pprofile.Profile {
	t.Helper()
	var buf bytes.Buffer
	if err := p.WritePprof(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := pprofile.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// TestPendingKeepsWakersApart aggregates blocks of one stack woken by two
// threads, and blocks of the same stack on CPU: three samples.
func TestPendingKeepsWakersApart(t *testing.T) {
	a := newPending(true)
	stack := []uint64{0x10, 0x20}
	for range 2 {
		a.add(sampler.Sample{PID: 1, TID: 1, User: stack, Count: 1, Value: 5, OffCPU: true, Waker: &sampler.Waker{PID: 1, TID: 2, Comm: "a", User: []uint64{0x30}}})
		a.add(sampler.Sample{PID: 1, TID: 1, User: stack, Count: 1, Value: 5, OffCPU: true, Waker: &sampler.Waker{PID: 1, TID: 3, Comm: "b", User: []uint64{0x30}}})
		a.add(sampler.Sample{PID: 1, TID: 1, User: stack, Count: 1, Value: 5, OffCPU: true})
		a.add(sampler.Sample{PID: 1, TID: 1, User: stack, Count: 1, Value: 5})
	}
	if len(a.samples) != 4 {
		t.Fatalf("%d samples, want 4 (two wakers, blocked without one, on CPU)", len(a.samples))
	}
	for _, s := range a.samples {
		if s.Count != 2 {
			t.Errorf("sample %+v: count %d, want 2", s, s.Count)
		}
	}
}

// TestOffCPUOptions refuses options that contradict each other, with
// ErrOptions, and maps the others to the backend's request.
func TestOffCPUOptions(t *testing.T) {
	cpu, _ := ParseEvent("")
	faults, _ := ParseEvent("page-faults")
	for _, c := range []struct {
		opts Options
		ev   Event
		want string
	}{
		{Options{Wakeups: true}, cpu, "needs ModeOffCPU"},
		{Options{Block: BlockFilter{Min: time.Millisecond}}, cpu, "needs ModeOffCPU or ModeWall"},
		{Options{Mode: ModeOffCPU, Event: "page-faults"}, faults, "give no Event or Period"},
		{Options{Mode: ModeOffCPU, Period: 10}, cpu, "give no Event or Period"},
		{Options{Mode: ModeWall, Event: "page-faults"}, faults, "cpu-clock or task-clock"},
		{Options{Mode: ModeWall, Wakeups: true}, cpu, "not ModeWall"},
		{Options{Mode: ModeOffCPU, Block: BlockFilter{Min: 2 * time.Millisecond, Max: time.Millisecond}}, cpu, "longer than the longest"},
		{Options{Mode: ModeOffCPU, Block: BlockFilter{Min: -1}}, cpu, "negative"},
		{Options{Mode: ModeOffCPU, Block: BlockFilter{State: 7}}, cpu, "unknown block state"},
		{Options{Mode: ModeOffCPU, Block: BlockFilter{Threads: ThreadsKernel}, UserOnly: true}, cpu, "no user stacks"},
		{Options{Mode: 9}, cpu, "unknown mode"},
	} {
		_, err := offCPUConfig(c.opts, c.ev)
		if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want ErrOptions saying %q", c.opts, err, c.want)
		}
	}
	got, err := offCPUConfig(Options{Mode: ModeOffCPU, Wakeups: true, Block: BlockFilter{Min: time.Millisecond, Max: time.Second, State: BlockUninterruptible, Threads: ThreadsUser}}, cpu)
	want := sampler.OffCPU{MinBlock: time.Millisecond, MaxBlock: time.Second, State: sampler.BlockUninterruptible, Threads: sampler.ThreadsUser, Wakeups: true}
	if err != nil || *got != want {
		t.Errorf("off-CPU request %+v, %v; want %+v", got, err, want)
	}
	if got, err := offCPUConfig(Options{Mode: ModeWall, Block: BlockFilter{State: BlockInterruptible, Threads: ThreadsKernel}}, cpu); err != nil || *got != (sampler.OffCPU{Wall: true, State: sampler.BlockInterruptible, Threads: sampler.ThreadsKernel}) {
		t.Errorf("wall request %+v, %v", got, err)
	}
	_, err = Start(t.Context(), Options{Wakeups: true})
	if !errors.Is(err, ErrOptions) || !strings.HasPrefix(err.Error(), "profile: invalid options: ") || strings.Count(err.Error(), "profile") != 1 {
		t.Errorf("Start with Wakeups and ModeCPU: %v; want ErrOptions said once", err)
	}
	if got, err := offCPUConfig(Options{}, cpu); got != nil || err != nil {
		t.Errorf("CPU mode: request %+v, %v; want none", got, err)
	}
	for _, s := range []string{"any", "Interruptible", "uninterruptible"} {
		if st, err := ParseBlockState(s); err != nil || !strings.EqualFold(st.String(), s) {
			t.Errorf("ParseBlockState(%q) = %v, %v", s, st, err)
		}
	}
	if _, err := ParseBlockState("sleeping"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParseBlockState(sleeping): %v", err)
	}
	if _, err := ParseThreads("idle"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParseThreads(idle): %v", err)
	}
}

// FuzzParseBlockFilter parses any --state and --threads: an error wrapping
// ErrOptions, or a value that prints as what was parsed.
func FuzzParseBlockFilter(f *testing.F) {
	for _, s := range []string{"any", "interruptible", "UNINTERRUPTIBLE", "all", "user", "kernel", "", "sleeping", "any\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if st, err := ParseBlockState(s); err != nil && !errors.Is(err, ErrOptions) || err == nil && !strings.EqualFold(st.String(), s) {
			t.Errorf("ParseBlockState(%q) = %v, %v", s, st, err)
		}
		if th, err := ParseThreads(s); err != nil && !errors.Is(err, ErrOptions) || err == nil && !strings.EqualFold(th.String(), s) {
			t.Errorf("ParseThreads(%q) = %v, %v", s, th, err)
		}
	})
}
