package scope

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

// offCPURecording is a wall recording of known blocks: its blocked stacks
// end in ppoll, in an inlined function, in a function nothing names, and
// in the kernel alone; one on-CPU sample is among them.
func offCPURecording() *profile.Profile {
	libc := symbolize.Module{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6"}
	exe := symbolize.Module{Path: "/opt/app/server"}
	kernel := []profile.Location{{Address: 0xffffffff81a00000, Frames: []symbolize.Frame{{Function: "schedule", Module: symbolize.Module{Path: "[kernel.kallsyms]"}}}}}
	loc := func(addr uint64, m symbolize.Module, names ...string) profile.Location {
		l := profile.Location{Address: addr}
		for i, n := range names {
			l.Frames = append(l.Frames, symbolize.Frame{Function: n, Module: m, Inlined: i < len(names)-1})
		}
		return l
	}
	main := loc(0x55d000001000, exe, "main")
	wall, err := profile.ParseEvent("cpu-clock")
	if err != nil {
		panic(err)
	}
	wall.Name, wall.Unit = "wall", "microseconds"
	return &profile.Profile{
		Event:          wall,
		Start:          time.Unix(1700000000, 0),
		StartMonotonic: 5000 * time.Second,
		Samples: []profile.Sample{
			{PID: 7, Comm: "server", Kernel: kernel, User: []profile.Location{loc(0x7f0000001000, libc, "ppoll"), main}, OffCPU: true, Count: 2, Value: 3000},
			{PID: 7, Comm: "server", User: []profile.Location{loc(0x55d000002000, exe, "wait_inner", "wait_outer"), main}, OffCPU: true, Count: 1, Value: 100000},
			{PID: 7, Comm: "server", Kernel: kernel, User: []profile.Location{loc(0x7f0000009000, libc, ""), main}, OffCPU: true, Count: 1, Value: 5},
			{PID: 8, Comm: "kworker/0:1", Kernel: kernel, OffCPU: true, Count: 1, Value: 20},
			{PID: 7, Comm: "server", User: []profile.Location{main}, Count: 1, Value: 1001},
		},
		Timed: []profile.TimedSample{
			{Time: 10*time.Millisecond + 1234, PID: 7, TID: 7, Sample: 0, Value: 1100000},
			{Time: 20 * time.Millisecond, PID: 7, TID: 7, Sample: 4, Value: 1001001},
			{Time: 30 * time.Millisecond, PID: 7, TID: 7, Sample: 0, Value: 1900000},
			{Time: 150 * time.Millisecond, PID: 7, TID: 9, Sample: 1, Value: 100000000},
			{Time: 160 * time.Millisecond, PID: 7, TID: 9, Sample: 2, Value: 5000},
			{Time: 170 * time.Millisecond, PID: 8, TID: 8, Sample: 3, Value: 20000},
		},
	}
}

func TestBlocksFromRecording(t *testing.T) {
	rec := offCPURecording()
	b, err := BlocksFromRecording(rec)
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) time.Duration { return 5000*time.Second + d }
	want := &Blocks{
		Blocks: []Block{
			{End: at(10*time.Millisecond + 1234), Duration: 1100 * time.Microsecond, Func: 0},
			{End: at(30 * time.Millisecond), Duration: 1900 * time.Microsecond, Func: 0},
			{End: at(150 * time.Millisecond), Duration: 100 * time.Millisecond, Func: 1},
			{End: at(160 * time.Millisecond), Duration: 5 * time.Microsecond, Func: 2},
			{End: at(170 * time.Millisecond), Duration: 20 * time.Microsecond, Func: -1},
		},
		Funcs: []string{"ppoll", "wait_inner", "[libc.so.6]"},
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("got  %+v\nwant %+v", b, want)
	}

	// The recording's perf script text gives the same blocks, to the
	// microsecond it keeps of their times.
	var text bytes.Buffer
	if err := rec.WritePerfScript(&text); err != nil {
		t.Fatal(err)
	}
	fromText, err := ReadOffCPU(&text)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Blocks {
		want.Blocks[i].End = want.Blocks[i].End.Truncate(time.Microsecond)
	}
	if !reflect.DeepEqual(fromText, want) {
		t.Errorf("from its perf script text:\n%+v\nwant %+v\n%s", fromText, want, text.String())
	}
}

func TestBlocksFromRecordingFails(t *testing.T) {
	rec := offCPURecording()
	untimed := *rec
	untimed.Timed = nil
	cpu := *rec
	cpu.Samples = rec.Samples[4:]
	cpu.Timed = []profile.TimedSample{{Sample: 0, Value: 1}}
	bad := *rec
	bad.Timed = []profile.TimedSample{{Sample: 9}}
	for _, c := range []struct {
		name string
		rec  *profile.Profile
		want error
	}{{"untimed", &untimed, ErrNoTimestamp}, {"on-CPU only", &cpu, ErrNoOffCPU}, {"bad timed sample", &bad, ErrFormat}, {"empty", &profile.Profile{}, ErrNoOffCPU}} {
		if b, err := BlocksFromRecording(c.rec); b != nil || !errors.Is(err, c.want) {
			t.Errorf("%s: %v, %v; want %v", c.name, b, err, c.want)
		}
	}
}
