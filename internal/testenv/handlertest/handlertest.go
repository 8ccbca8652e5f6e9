// Package handlertest is what the tests of profile.Handler share with the
// tests of the formats other packages give it (scope's heat map pages): a
// hot function to profile, a thread that blocks, and a handler served on
// loopback and asked for answers.
package handlertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// Hot and Blocked are the full names of the functions Burn and Block run,
// as flame graphs name them.
const (
	Hot     = "github.com/flamekit/flamekit/internal/testenv/handlertest.burn"
	Blocked = "github.com/flamekit/flamekit/internal/testenv/handlertest.block"
)

// burn spins in Go code and in the kernel (reading /dev/zero, half its
// time or so) until stop is closed.
//
//go:noinline
func burn(stop <-chan struct{}, zero *os.File) {
	buf := make([]byte, 256<<10)
	for {
		select {
		case <-stop:
			return
		default:
		}
		var sum uint64
		for i := uint64(0); i < 5000; i++ {
			sum += i * i
		}
		buf[0] = byte(sum) // the read takes buf: the loop stays
		if _, err := zero.Read(buf); err != nil {
			panic(err)
		}
	}
}

// Burn runs burn (Hot) on a goroutine until the test ends.
func Burn(t *testing.T) {
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		burn(stop, zero)
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		zero.Close()
	})
}

// block blocks its thread reading a pipe, a byte at a time, until it
// reads 0.
//
//go:noinline
func block(fd int) {
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

// Block runs block (Blocked) on a thread of its own, woken every 50 ms,
// until the test ends.
func Block(t *testing.T) {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		block(fds[0])
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

// RequireOffCPU skips or fails t unless this process may record off-CPU
// time, its own or its children's: root, CAP_PERFMON or
// kernel.perf_event_paranoid ≤ 1.
func RequireOffCPU(t *testing.T) {
	t.Helper()
	if p, err := testenv.Paranoid(); os.Geteuid() != 0 && (err != nil || p > 1) {
		testenv.SkipOrFail(t, "off-CPU recording of oneself or one's children needs root, CAP_PERFMON or kernel.perf_event_paranoid ≤ 1 (paranoid %d, %v)", p, err)
	}
}

// Serve serves h on a loopback server closed when the test ends.
func Serve(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// Get sends GET url with ctx and returns the response and its body.
func Get(ctx context.Context, t *testing.T, client *http.Client, url string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// MustGet is Get of srv's URL and query that fails the test on an error
// or an unexpected status.
func MustGet(t *testing.T, srv *httptest.Server, query string, status int) (*http.Response, []byte) {
	t.Helper()
	resp, body, err := Get(context.Background(), t, srv.Client(), srv.URL+query)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %s, want %d: %s", query, resp.Status, status, body)
	}
	return resp, body
}
