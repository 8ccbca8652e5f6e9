package testenv

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Main runs a package's tests and exits: every package with tests has
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// It exits with the tests' status, or non-zero with a report on stderr
// when the tests left file descriptors, mappings, processes or goroutines
// behind; see [Run].
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// settleTime bounds how long [Run] waits for what the tests closed or
// stopped, but what is still on its way out (a goroutine returning, a
// cleanup the garbage collector runs), before it calls the rest a leak.
const settleTime = 3 * time.Second

// Run runs m's tests and checks that they leave nothing behind: every file
// descriptor open after them was open before them, and so was every
// mapping of a file or kernel object, every child process (running, or
// exited and not waited for) and every goroutine. It returns the tests'
// exit status, or 1 when they passed but leaked, with a report on stderr
// naming each leak: the descriptors with what they refer to (a file's
// path, a pipe, a socket, a BPF map or program with its name and ID, a
// perf event), the mappings (a perf event's ring buffer, a file), the
// processes with their command lines, and the goroutines with their
// stacks.
//
// Goroutines the runtime starts for the life of the process (signal
// delivery) do not count, and neither does what is only waiting for the
// garbage collector: before it reports, Run collects garbage and gives
// stopping goroutines up to a few seconds. A BPF object or perf event a
// test leaves behind is held by a descriptor or a mapping of the process,
// unless it is pinned in the BPF file system or attached to a cgroup or a
// network device without a link, which flamekit never does: so the check
// finds every one.
//
// Fuzzing runs (-test.fuzz, and the workers it starts) are not checked.
func Run(m *testing.M) int {
	if !flag.Parsed() {
		flag.Parse()
	}
	if fuzzing() {
		return m.Run()
	}
	startNetpoller()
	before, err := snapshot()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	code := m.Run()

	l, err := findLeaks(before)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if l.empty() {
		return code
	}
	l.report(os.Stderr)
	if code == 0 {
		code = 1
	}
	return code
}

// fuzzing reports whether the test binary fuzzes, as the coordinator or a
// worker, whose descriptors the fuzzing engine manages.
func fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// startNetpoller makes the runtime open its poller's descriptors (an
// epoll instance and an eventfd, kept for the life of the process) before
// the descriptors are counted, so the first test to use a pipe or a socket
// is not blamed for them.
func startNetpoller() {
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	r.Close()
	w.Close()
}

// state is what the process has open and running.
type state struct {
	fds        fdTable
	mappings   mappingTable
	processes  map[int]bool
	goroutines []goroutine
}

// snapshot reads the process's state.
func snapshot() (state, error) {
	var s state
	var err error
	if s.fds, err = openFiles(); err != nil {
		return s, err
	}
	if s.mappings, err = fileMappings(); err != nil {
		return s, err
	}
	if s.processes, err = childProcesses(); err != nil {
		return s, err
	}
	s.goroutines = goroutines()
	return s, nil
}

// leaks is what the tests left behind.
type leaks struct {
	fds        fdTable // all of them, for the report
	fdOrder    []int   // the leaked ones
	mappings   []string
	processes  []int
	goroutines []goroutine
}

// since returns what s has that before did not.
func (s state) since(before state) leaks {
	return leaks{
		fds:        s.fds,
		fdOrder:    s.fds.openedSince(before.fds),
		mappings:   s.mappings.mappedSince(before.mappings),
		processes:  processesSince(s.processes, before.processes),
		goroutines: startedSince(s.goroutines, before.goroutines),
	}
}

func (l leaks) empty() bool {
	return len(l.fdOrder) == 0 && len(l.mappings) == 0 && len(l.processes) == 0 && len(l.goroutines) == 0
}

// findLeaks compares the process with what it had before the tests. What
// is left is looked at again, after a garbage collection and a pause,
// until it is gone or settleTime has passed.
func findLeaks(before state) (leaks, error) {
	deadline := time.Now().Add(settleTime)
	pause := 10 * time.Millisecond
	for {
		now, err := snapshot()
		if err != nil {
			return leaks{}, err
		}
		if l := now.since(before); l.empty() || time.Now().After(deadline) {
			return l, nil
		}
		runtime.GC()
		time.Sleep(pause)
		pause = min(2*pause, 500*time.Millisecond)
	}
}

// report writes l to w: each descriptor with what it refers to, each
// mapping and process, and each goroutine's stack.
func (l leaks) report(w io.Writer) {
	fmt.Fprintf(w, "testenv: the tests left %d file descriptor(s), %d mapping(s), %d process(es) and %d goroutine(s) behind:\n",
		len(l.fdOrder), len(l.mappings), len(l.processes), len(l.goroutines))
	for _, fd := range l.fdOrder {
		fmt.Fprintf(w, "  %s\n", describeFD(fd, l.fds[fd]))
	}
	for _, m := range l.mappings {
		fmt.Fprintf(w, "  mapping %s\n", m)
	}
	for _, pid := range l.processes {
		fmt.Fprintf(w, "  %s\n", describeProcess(pid))
	}
	for _, g := range l.goroutines {
		fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(g.stack, "\n", "\n  "))
	}
	fmt.Fprintln(w, "testenv: close what a test opens, and stop and wait for what it starts (t.Cleanup), or the next test inherits it")
}
