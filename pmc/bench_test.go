package pmc

import (
	"fmt"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// touch16 maps 16 fresh pages, touches them and unmaps them: 16 page
// faults.
func touch16() {
	pg := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 16*pg, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		panic(err)
	}
	for i := 0; i < 16; i++ {
		mem[i*pg] = 1
	}
	unix.Munmap(mem)
}

// TestBenchPerOp: a benchmark whose every operation takes 16 page faults
// and sleeps once reports 16 page-faults/op and at least one
// context-switch/op, with b.Loop and with b.N alike, and task-clock per
// op; hardware events are reported where there is a PMU, and left out
// (not failing the benchmark) where not.
func TestBenchPerOp(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	op := func() {
		touch16()
		time.Sleep(10 * time.Microsecond)
	}
	for name, bench := range map[string]func(*testing.B){
		"Loop": func(b *testing.B) {
			defer Bench(b)()
			for b.Loop() {
				op()
			}
		},
		"N": func(b *testing.B) {
			defer Bench(b)()
			for range b.N {
				op()
			}
		},
	} {
		res := testing.Benchmark(bench)
		t.Logf("%s: %d ops, %v", name, res.N, res.Extra)
		if res.N == 0 {
			t.Fatalf("%s: the benchmark failed", name)
		}
		if pf := res.Extra["page-faults/op"]; pf < 16 || pf > 16.5 {
			t.Errorf("%s: %v page-faults/op, want 16", name, pf)
		}
		if cs := res.Extra["context-switches/op"]; cs < 1 {
			t.Errorf("%s: %v context-switches/op, want at least 1", name, cs)
		}
		if tc := res.Extra["task-clock-ns/op"]; tc <= 0 {
			t.Errorf("%s: task-clock %v ns/op", name, tc)
		}
		_, hasInstr := res.Extra["instructions/op"]
		_, hasIPC := res.Extra["IPC"]
		if hasInstr != hasIPC {
			t.Errorf("%s: instructions/op reported %v, IPC %v", name, hasInstr, hasIPC)
		}
	}
}

// TestBenchLogsOnce: an event that is not supported is logged once per
// benchmark, however many times the benchmark runs, and the others are
// reported each time.
func TestBenchLogsOnce(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	var logs []string
	reports := map[string]int{}
	h := benchHooks{
		name:   t.Name(),
		n:      func() int { return 10 },
		report: func(v float64, unit string) { reports[unit]++ },
		logf:   func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) },
	}
	for range 3 {
		stop := startBench(h, []string{"task-clock", "{cycles,instructions}", "bogus-event-name"})
		stop()
	}
	if len(logs) != 1 {
		t.Errorf("logged %d times: %q", len(logs), logs)
	}
	logs = nil
	benchLogged.Clear()
	for range 3 {
		startBench(h, []string{"task-clock", "{cycles,instructions}"})()
	}
	if reports["task-clock-ns/op"] != 3 {
		t.Errorf("task-clock-ns/op reported %d times in 3 runs", reports["task-clock-ns/op"])
	}
	if _, hw := reports["cycles/op"]; !hw && len(logs) != 2 {
		t.Errorf("cycles and instructions not supported: logged %d times in 3 runs: %q", len(logs), logs)
	}
}
