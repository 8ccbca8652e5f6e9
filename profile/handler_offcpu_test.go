package profile_test

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/internal/testenv"
	fkprofile "github.com/flamekit/flamekit/profile"
)

// handlerBlock blocks its thread reading a pipe, a byte at a time, until
// it reads 0: the blocked function of the handler's off-CPU tests.
//
//go:noinline
func handlerBlock(fd int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var b [1]byte
	for {
		n, err := syscall.Read(fd, b[:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n == 0 || b[0] == 0 {
			return
		}
	}
}

// blockDuring runs handlerBlock on a thread of its own, woken every 50 ms,
// until the test ends.
func blockDuring(t *testing.T) {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		handlerBlock(fds[0])
	}()
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				syscall.Write(fds[1], []byte{0})
				return
			case <-tick.C:
				syscall.Write(fds[1], []byte{1})
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		syscall.Close(fds[0])
		syscall.Close(fds[1])
	})
}

// requireOffCPU skips or fails t unless this process may record its own
// off-CPU time.
func requireOffCPU(t *testing.T) {
	if p, err := testenv.Paranoid(); os.Geteuid() != 0 && (err != nil || p > 1) {
		testenv.SkipOrFail(t, "off-CPU recording of oneself needs root, CAP_PERFMON or kernel.perf_event_paranoid ≤ 1 (paranoid %d, %v)", p, err)
	}
}

// TestHandlerOffCPU asks for the off-CPU time of the test process while
// handlerBlock blocks in read and handlerBurn runs: handlerBlock has most
// of a second blocked; the flame graph has the off-CPU title; a wall
// profile has both functions, the blocked one under [off-cpu].
func TestHandlerOffCPU(t *testing.T) {
	requireOffCPU(t)
	blockDuring(t)
	burnDuring(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{})

	_, body := mustGet(t, srv, "?seconds=1&mode=off-cpu&format=folded", http.StatusOK)
	var blocked float64
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, ".handlerBlock;") {
			var us float64
			if i := strings.LastIndexByte(line, ' '); i > 0 {
				if _, err := fmt.Sscan(line[i+1:], &us); err == nil {
					blocked += us
				}
			}
		}
	}
	if blocked < 500_000 {
		t.Errorf("handlerBlock blocked %.0f µs of the second recorded, want most of it:\n%.3000s", blocked, body)
	}

	resp, body := mustGet(t, srv, "?seconds=0.5&mode=off-cpu", http.StatusOK)
	if !strings.Contains(string(body), "Off-CPU Time Flame Graph") || !strings.Contains(resp.Header.Get("Content-Disposition"), "-off-cpu.svg") {
		t.Errorf("the off-CPU flame graph: Content-Disposition %q, title not found: %.500s", resp.Header.Get("Content-Disposition"), body)
	}

	_, body = mustGet(t, srv, "?seconds=1&mode=wall&format=folded", http.StatusOK)
	if !strings.Contains(string(body), ".handlerBurn;") || !strings.Contains(string(body), ".handlerBlock;") || !strings.Contains(string(body), fkprofile.OffCPUFrame) {
		t.Errorf("the wall profile lacks handlerBurn, handlerBlock or %s:\n%.3000s", fkprofile.OffCPUFrame, body)
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
		_, body := mustGet(t, srv, c.query, http.StatusBadRequest)
		if !strings.Contains(string(body), c.msg) || strings.Count(string(body), "profile: ") != 1 {
			t.Errorf("%s: %q, want one line with %q and the package prefix once", c.query, body, c.msg)
		}
	}
}

// TestHandlerWakeups asks the eBPF backend for off-CPU time with its
// wakers: handlerBlock's blocked stacks carry the stacks of the thread
// that woke it (the writer's write), after the "--" frame.
func TestHandlerWakeups(t *testing.T) {
	testenv.RequireRoot(t)
	blockDuring(t)
	srv := serveHandler(t, fkprofile.HandlerOptions{AllowOtherTargets: true})
	_, body := mustGet(t, srv, "?seconds=1&mode=off-cpu&wakeups&backend=bpf&format=folded", http.StatusOK)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, ".handlerBlock;") && strings.Contains(line, ";"+flamegraph.WakerSeparator+";") && strings.Contains(line, "_[w]") {
			return
		}
	}
	t.Errorf("no stack of handlerBlock with its waker:\n%.3000s", body)
}
