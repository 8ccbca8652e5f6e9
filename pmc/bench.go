package pmc

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// DefaultBenchEvents is what Bench counts when given no events: cycles
// and instructions (for IPC), cache misses, and the software events every
// Linux machine has — task-clock, page-faults and context-switches.
const DefaultBenchEvents = "{cycles,instructions},cache-misses,task-clock,page-faults,context-switches"

// Bench counts events while a benchmark runs and returns the function
// that stops counting and reports them per operation with b.ReportMetric;
// defer it right before the benchmark loop:
//
//	func BenchmarkX(b *testing.B) {
//		setup()
//		defer pmc.Bench(b)()
//		for b.Loop() {
//			x()
//		}
//	}
//
// It works with b.Loop (whose b.N, once the loop is over, is the number
// of iterations) and with "for range b.N" (each of the benchmark's runs
// reports; the last one's figures stay). Each event, an event list as
// ParseEvents takes them (DefaultBenchEvents when none), is reported as
// "NAME/op" (task-clock as "task-clock-ns/op"), and IPC as "IPC" when
// cycles and instructions were both counted.
//
// It counts every thread of the benchmark's process (Process: the
// goroutine may run on any of them, and a benchmark may start its own),
// so the runtime's background work (garbage collection, the testing
// package's timer) is counted too: it is part of what a benchmark costs,
// as in its ns/op. An event this machine cannot count (hardware events
// in a VM without a PMU) is reported with b.Log once per benchmark, and
// the others are reported still; Bench never fails a benchmark.
func Bench(b *testing.B, events ...string) (stop func()) {
	b.Helper()
	return startBench(benchHooks{
		name:   b.Name(),
		n:      func() int { return b.N },
		report: b.ReportMetric,
		logf:   b.Logf,
	}, events)
}

// benchHooks is what Bench uses of a testing.B.
type benchHooks struct {
	name   string
	n      func() int
	report func(float64, string)
	logf   func(string, ...any)
}

// benchLogged remembers the messages a benchmark has logged, to log each
// once: "benchmark name\x00message".
var benchLogged sync.Map

// logOnce logs msg for the benchmark unless it already has.
func (h benchHooks) logOnce(msg string) {
	if _, seen := benchLogged.LoadOrStore(h.name+"\x00"+msg, true); !seen {
		h.logf("%s", msg)
	}
}

func startBench(h benchHooks, events []string) func() {
	list := DefaultBenchEvents
	if len(events) > 0 {
		list = strings.Join(events, ",")
	}
	groups, err := ParseEvents(list)
	if err != nil {
		h.logOnce(fmt.Sprintf("pmc.Bench: %v", err))
		return func() {}
	}
	c, err := NewCounter(Process(os.Getpid()), groups...)
	if err == nil {
		err = c.Enable()
	}
	if err != nil {
		if c != nil {
			c.Close()
		}
		h.logOnce(fmt.Sprintf("pmc.Bench: nothing counted: %v", err))
		return func() {}
	}
	return func() {
		defer c.Close()
		if err := c.Disable(); err != nil {
			h.logOnce(fmt.Sprintf("pmc.Bench: %v", err))
			return
		}
		r, err := c.Read()
		if err != nil {
			h.logOnce(fmt.Sprintf("pmc.Bench: %v", err))
			return
		}
		reportBench(h, r)
	}
}

// reportBench reports each count of r per operation, and IPC.
func reportBench(h benchHooks, r Reading) {
	n := h.n()
	if n <= 0 {
		return
	}
	for _, c := range r.Counts {
		v, ok := c.Scaled()
		if !ok {
			why := c.State().String()
			if c.Err != nil {
				why = c.Err.Error()
			}
			h.logOnce(fmt.Sprintf("pmc.Bench: %s not reported: %s", c.Event.Name, why))
			continue
		}
		h.report(v/float64(n), benchUnit(c.Event))
	}
	if ipc := IPC.Compute(r); ipc.Available {
		h.report(ipc.Value, "IPC")
	}
}

// benchUnit is the ReportMetric unit of an event's count per operation:
// its name (without spaces, which units may not hold) and "/op", with the
// time events' "-ns".
func benchUnit(e Event) string {
	name := strings.Join(strings.Fields(e.Name), "")
	switch baseName(name) {
	case "task-clock", "cpu-clock":
		name += "-ns"
	}
	return name + "/op"
}
