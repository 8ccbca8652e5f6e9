package collapse

import (
	"bytes"
	"os"
	"testing"
)

// TestPerfUnit checks the unit of perf script counts on real captures: a
// cpu-clock capture sums periods in nanoseconds; page faults, whose periods
// count faults, are named so (the capture with two events keeps the first,
// page faults, unless told otherwise).
func TestPerfUnit(t *testing.T) {
	for _, tt := range []struct {
		capture, event, want string
	}{
		{"real", "", "nanoseconds"},
		{"c-fp", "", "nanoseconds"},
		{"multi-event", "", "page-faults"},
		{"multi-event", "cpu-clock", "nanoseconds"},
	} {
		for _, threads := range []int{1, 2} {
			p, _, err := Perf(bytes.NewReader(perfInput(t, tt.capture)), PerfOptions{EventFilter: tt.event, Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			if p.Unit != tt.want || len(p.Stacks) == 0 {
				t.Errorf("%s, event %q, threads %d: unit %q (%d stacks), want %q", tt.capture, tt.event, threads, p.Unit, len(p.Stacks), tt.want)
			}
		}
	}
}

// TestPerfUnitNames checks the unit named after the event: modifiers go,
// clocks are time, other events count themselves, no period is samples.
func TestPerfUnitNames(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{"app 1 [000] 1.000001: 250000 cpu-clock:pppH:", "nanoseconds"},
		{"app 1 [000] 1.000001: 250000 task-clock:", "nanoseconds"},
		{"app 1 [000] 1.000001: 100003 cycles:u:", "cycles"},
		{"app 1 [000] 1.000001: 7 sched:sched_switch:", "sched:sched_switch"},
		{"app 1 [000] 1.000001: 1 sched:sched_switch:", ""},
		{"app 1 [000] 1.000001: cpu-clock:", ""},
	} {
		in := tt.header + "\n\t4dd224 main.main+0x24 (/tmp/app)\n\n"
		p, _, err := Perf(bytes.NewReader([]byte(in)), PerfOptions{})
		if err != nil || len(p.Stacks) != 1 {
			t.Fatalf("%q: %v, %v", tt.header, p, err)
		}
		if p.Unit != tt.want {
			t.Errorf("%q: unit %q, want %q", tt.header, p.Unit, tt.want)
		}
	}
}

// TestPprofUnit checks that the unit of the chosen pprof sample type becomes
// the profile's: nanoseconds of CPU, bytes allocated, and samples (empty)
// for the types that count.
func TestPprofUnit(t *testing.T) {
	for _, tt := range []struct {
		file, sampleType, want string
	}{
		{"testdata/pprof/inlineprog-cpu.pb.gz", "", "nanoseconds"},
		{"testdata/pprof/inlineprog-cpu.pb.gz", "samples", ""},
		{"testdata/pprof/inlineprog-allocs.pb.gz", "alloc_space", "bytes"},
		{"testdata/pprof/inlineprog-allocs.pb.gz", "alloc_objects", ""},
	} {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := Pprof(bytes.NewReader(data), PprofOptions{SampleType: tt.sampleType})
		if err != nil {
			t.Fatal(err)
		}
		if p.Unit != tt.want {
			t.Errorf("%s, sample type %q: unit %q, want %q", tt.file, tt.sampleType, p.Unit, tt.want)
		}
	}
}
