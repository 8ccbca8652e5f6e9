package profile_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/internal/testenv/handlertest"
	fkprofile "github.com/flamekit/flamekit/profile"
)

// TestHandlerOffCPU asks for the off-CPU time of the test process while
// handlertest.Block blocks in read and handlertest.Burn runs: the blocked
// function has most of a second blocked; the flame graph has the off-CPU title; a wall
// profile has both functions, the blocked one under [off-cpu].
func TestHandlerOffCPU(t *testing.T) {
	handlertest.RequireOffCPU(t)
	handlertest.Block(t)
	handlertest.Burn(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{})

	_, body := handlertest.MustGet(t, srv, "?seconds=1&mode=off-cpu&format=folded", http.StatusOK)
	var blocked float64
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, handlertest.Blocked+";") {
			var us float64
			if i := strings.LastIndexByte(line, ' '); i > 0 {
				if _, err := fmt.Sscan(line[i+1:], &us); err == nil {
					blocked += us
				}
			}
		}
	}
	if blocked < 500_000 {
		t.Errorf("%s blocked %.0f µs of the second recorded, want most of it:\n%.3000s", handlertest.Blocked, blocked, body)
	}

	resp, body := handlertest.MustGet(t, srv, "?seconds=0.5&mode=off-cpu", http.StatusOK)
	if !strings.Contains(string(body), "Off-CPU Time Flame Graph") || !strings.Contains(resp.Header.Get("Content-Disposition"), "-off-cpu.svg") {
		t.Errorf("the off-CPU flame graph: Content-Disposition %q, title not found: %.500s", resp.Header.Get("Content-Disposition"), body)
	}

	_, body = handlertest.MustGet(t, srv, "?seconds=1&mode=wall&format=folded", http.StatusOK)
	if !strings.Contains(string(body), handlertest.Hot+";") || !strings.Contains(string(body), handlertest.Blocked+";") || !strings.Contains(string(body), fkprofile.OffCPUFrame) {
		t.Errorf("the wall profile lacks %s, %s or %s:\n%.3000s", handlertest.Hot, handlertest.Blocked, fkprofile.OffCPUFrame, body)
	}
}

// TestHandlerOffCPUBadRequests: parameters of off-CPU recording that do
// not go together get 400 and say why.
func TestHandlerOffCPUBadRequests(t *testing.T) {
	srv := serveHandler(t, fkprofile.HandlerOptions{})
	for _, c := range []struct{ query, msg string }{
		{"?mode=sideways", `bad parameter mode="sideways": want cpu, off-cpu or wall`},
		{"?mode=off-cpu&event=page-faults", `ModeOffCPU records blocked time, not an event`},
		{"?mode=off-cpu&hz=99", `mode=off-cpu records blocked time`},
		{"?mode=wall&event=page-faults", `ModeWall adds on-CPU time to blocked time`},
		{"?min-block=1ms", `Block filters blocked time: it needs ModeOffCPU or ModeWall`},
		{"?mode=off-cpu&min-block=2s&max-block=1s", `is longer than the longest`},
		{"?mode=off-cpu&min-block=soon", `bad parameter min-block="soon": want a duration`},
		{"?mode=off-cpu&state=asleep", `bad parameter state="asleep": invalid options: unknown block state`},
		{"?mode=wall&wakeups", `Wakeups needs ModeOffCPU`},
	} {
		_, body := handlertest.MustGet(t, srv, c.query, http.StatusBadRequest)
		if !strings.Contains(string(body), c.msg) || strings.Count(string(body), "profile: ") != 1 {
			t.Errorf("%s: %q, want one line with %q and the package prefix once", c.query, body, c.msg)
		}
	}
}

// TestHandlerWakeups asks the eBPF backend for off-CPU time with its
// wakers: handlertest.Block's blocked stacks carry the stacks of the thread
// that woke it (the writer's write), after the "--" frame.
func TestHandlerWakeups(t *testing.T) {
	testenv.RequireRoot(t)
	handlertest.Block(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{AllowOtherTargets: true})
	_, body := handlertest.MustGet(t, srv, "?seconds=1&mode=off-cpu&wakeups&backend=bpf&format=folded", http.StatusOK)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, handlertest.Blocked+";") && strings.Contains(line, ";"+flamegraph.WakerSeparator+";") && strings.Contains(line, "_[w]") {
			return
		}
	}
	t.Errorf("no stack of %s with its waker:\n%.3000s", handlertest.Blocked, body)
}
