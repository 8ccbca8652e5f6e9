package testenv

import (
	"fmt"
	"runtime"
	"strings"
)

// goroutine is one goroutine of a runtime.Stack dump: its ID and its
// stack as the dump prints it, header first.
type goroutine struct {
	id    int
	stack string
}

// goroutines returns this process's goroutines, the caller's among them.
func goroutines() []goroutine {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for _, block := range strings.Split(strings.TrimSpace(string(buf)), "\n\n") {
		var g goroutine
		if _, err := fmt.Sscanf(block, "goroutine %d ", &g.id); err != nil {
			continue
		}
		g.stack = block
		gs = append(gs, g)
	}
	return gs
}

// notTheTests are functions whose goroutines the runtime and the standard
// library start for the life of the process, the first time a test uses
// what needs them: signal delivery once a test calls signal.Notify.
var notTheTests = []string{
	"os/signal.signal_recv",
	"os/signal.loop",
	"runtime.ensureSigM",
}

// startedSince returns the goroutines of gs that were not among before,
// except those of notTheTests.
func startedSince(gs, before []goroutine) []goroutine {
	was := map[int]bool{}
	for _, g := range before {
		was[g.id] = true
	}
	var started []goroutine
	for _, g := range gs {
		if !was[g.id] && !g.isNotTheTests() {
			started = append(started, g)
		}
	}
	return started
}

// isNotTheTests reports whether g runs a function of notTheTests.
func (g goroutine) isNotTheTests() bool {
	for _, line := range strings.Split(g.stack, "\n")[1:] {
		fn := line
		if i := strings.LastIndexByte(fn, '('); i > 0 {
			fn = fn[:i]
		}
		for _, name := range notTheTests {
			if fn == name {
				return true
			}
		}
	}
	return false
}
