package profile_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
	"github.com/flamekit/flamekit/symbolize"
)

// heldDebuginfod is a debuginfod server that holds its first request until
// answer is called, then answers 404 to every request: a symbolizer that
// asks it is as slow as the test wants.
type heldDebuginfod struct {
	url      string
	asked    chan struct{} // closed at the first request
	release  chan struct{} // closed by answer
	askOnce  sync.Once
	freeOnce sync.Once
}

func holdDebuginfod(t *testing.T) *heldDebuginfod {
	h := &heldDebuginfod{asked: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.askOnce.Do(func() { close(h.asked) })
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// waitAsked waits for the first request, for at most a minute.
func (h *heldDebuginfod) waitAsked(t *testing.T) {
	t.Helper()
	select {
	case <-h.asked:
	case <-time.After(time.Minute):
		t.Fatal("the collection did not ask debuginfod for the stripped program's debug file")
	}
}

// answer lets the held request, and all later ones, be answered.
func (h *heldDebuginfod) answer() { h.freeOnce.Do(func() { close(h.release) }) }

// startStripped starts a stripped program that spins for good (its names
// are then looked for on debuginfod) and a session of backend b profiling
// it, whose symbolizer asks h and nothing else. The session is closed,
// and h answers, when the test ends.
func startStripped(t *testing.T, b profile.Backend, h *heldDebuginfod) (*profile.Session, int) {
	t.Helper()
	testenv.RequireRoot(t)
	bin := testenv.BuildC(t, "gcc", "stripped", []string{filepath.Join("testdata", "split.c")}, "-O0", "-fno-omit-frame-pointer", "-s", "-Wl,--build-id")
	cmd := testenv.StartChild(t, exec.Command(bin))
	sym := symbolize.New(symbolize.Options{DebugDirs: []string{}, DebuginfodURLs: []string{h.url},
		DebuginfodCacheDir: t.TempDir(), DebuginfodTimeout: 10 * time.Minute})
	t.Cleanup(func() { sym.Close() })
	s, err := profile.Start(context.Background(), profile.Options{PIDs: []int{cmd.Process.Pid}, Frequency: 199, Backend: b, Symbolizer: sym})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t.Cleanup(h.answer) // first: Close waits for a collection in flight
	return s, cmd.Process.Pid
}

// collected is what a Collect or Stop returned.
type collected struct {
	p   *profile.Profile
	err error
}

// inBackground runs f in a goroutine and returns what it will return.
func inBackground(f func() (*profile.Profile, error)) <-chan collected {
	c := make(chan collected, 1)
	go func() {
		p, err := f()
		c <- collected{p, err}
	}()
	return c
}

// await waits, for at most a minute, for what c returns, and checks that
// it is a profile with samples of pid.
func await(t *testing.T, what string, c <-chan collected, pid int) *profile.Profile {
	t.Helper()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatalf("%s: %v", what, r.err)
		}
		var n uint64
		for _, s := range r.p.Samples {
			if s.PID == pid {
				n += s.Count
			}
		}
		if n == 0 {
			t.Fatalf("%s returned no sample of the stripped program (%d samples)", what, r.p.Total())
		}
		return r.p
	case <-time.After(time.Minute):
		t.Fatalf("%s did not return in a minute once debuginfod answered", what)
	}
	return nil
}

// statsWithin returns the session's sample count, failing the test if
// Stats takes more than d.
func statsWithin(t *testing.T, s *profile.Session, d time.Duration) uint64 {
	t.Helper()
	c := make(chan uint64, 1)
	go func() {
		n, _ := s.Stats()
		c <- n
	}()
	select {
	case n := <-c:
		return n
	case <-time.After(d):
		t.Fatalf("Stats did not return in %v while a collection waited for its names", d)
	}
	return 0
}

// TestCollectDoesNotHoldDrains collects while the symbolizer's first
// lookup, of a stripped program's debug file on a debuginfod server, is
// held: meanwhile Stats answers and the session's drains go on (the
// samples it counts grow), and the collection returns once the server
// answers.
func TestCollectDoesNotHoldDrains(t *testing.T) {
	for _, b := range []profile.Backend{profile.BackendBPF, profile.BackendPerf} {
		t.Run(b.String(), func(t *testing.T) {
			h := holdDebuginfod(t)
			s, pid := startStripped(t, b, h)
			waitSamples(t, s, 20)
			collect := inBackground(s.Collect)
			h.waitAsked(t)
			before := statsWithin(t, s, 20*time.Second)
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if statsWithin(t, s, 20*time.Second) > before {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no sample drained in 30 s while a collection waited for its names (%d before)", before)
				}
			}
			select {
			case r := <-collect:
				t.Fatalf("Collect returned (%v) before debuginfod answered", r.err)
			default:
			}
			h.answer()
			await(t, "Collect", collect, pid)
		})
	}
}

// TestStopAndCloseDuringCollect stops, or closes, a session while a
// collection waits for a debuginfod answer: each returns, the collection
// returns its samples, and the session is stopped afterwards.
func TestStopAndCloseDuringCollect(t *testing.T) {
	for _, end := range []string{"Stop", "Close"} {
		t.Run(end, func(t *testing.T) {
			h := holdDebuginfod(t)
			s, pid := startStripped(t, profile.BackendBPF, h)
			waitSamples(t, s, 20)
			collect := inBackground(s.Collect)
			h.waitAsked(t)
			var ended <-chan collected
			if end == "Stop" {
				ended = inBackground(s.Stop)
			} else {
				ended = inBackground(func() (*profile.Profile, error) { return nil, s.Close() })
			}
			h.answer()
			await(t, "Collect", collect, pid)
			select {
			case r := <-ended:
				if r.err != nil {
					t.Fatalf("%s: %v", end, r.err)
				}
			case <-time.After(time.Minute):
				t.Fatalf("%s did not return in a minute", end)
			}
			if _, err := s.Collect(); !errors.Is(err, profile.ErrStopped) {
				t.Errorf("Collect after %s: %v, want ErrStopped", end, err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close after %s: %v", end, err)
			}
		})
	}
}
