package pmc_test

import (
	"fmt"
	"os/exec"
	"testing"

	"github.com/flamekit/flamekit/pmc"
)

// A benchmark reports the events it causes per operation: here
// page-faults/op, context-switches/op and task-clock-ns/op on any Linux
// machine, and instructions/op, cycles/op, cache-misses/op and IPC where
// the machine has a PMU (elsewhere they are logged once as not supported).
func ExampleBench() {
	benchmark := func(b *testing.B) {
		buf := make([]byte, 1<<20) // setup, not counted
		defer pmc.Bench(b)()
		for b.Loop() {
			clear(buf)
		}
	}
	res := testing.Benchmark(benchmark) // or: go test -bench .
	// res.Extra holds the metrics; what is reported depends on the machine,
	// but the benchmark runs everywhere: Bench never fails it.
	fmt.Println("the benchmark ran:", res.N > 0)
	// Output: the benchmark ran: true
}

// Count a command and its children, then derive metrics: a metric whose
// events this machine cannot count is "not available", never 0.
func ExampleNewCounter() {
	groups, err := pmc.ParseEvents("{cycles,instructions},page-faults")
	if err != nil {
		panic(err)
	}
	cmd := exec.Command("true")
	c, err := pmc.NewCounter(pmc.Command(cmd), groups...)
	if err != nil {
		fmt.Println(err) // no permission to count, or no event supported
		return
	}
	defer c.Close()
	cmd.Wait()
	r, err := c.Read()
	if err != nil {
		panic(err)
	}
	for _, cnt := range r.Counts {
		if v, ok := cnt.Scaled(); ok {
			fmt.Printf("%s: %.0f (%.0f%% of the time on a PMU)\n", cnt.Event.Name, v, 100*cnt.RunningShare())
		} else {
			fmt.Printf("%s: %v\n", cnt.Event.Name, cnt.State())
		}
	}
	fmt.Println(pmc.IPC.Compute(r))
}

// Every metric documents its formula.
func ExampleMetric() {
	for _, m := range []pmc.Metric{pmc.IPC, pmc.LLCMissPercent, pmc.GHz, pmc.KPerSec("page-faults")} {
		fmt.Printf("%s: %s\n", m.Name, m.Formula)
	}
	fmt.Println(pmc.IPC.Compute(pmc.Reading{}))
	// Output:
	// IPC: instructions / cycles
	// LLC-miss: 100 × cache-misses / cache-references
	// GHz: cycles / task-clock (ns)
	// page-faults-rate: page-faults / task-clock (ns) × 1e6
	// IPC not available (instructions was not counted with it)
}
