package fleet

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
)

// backendMode is how the fake Pyroscope answers pushes.
type backendMode int32

const (
	accept backendMode = iota
	refuse             // Unavailable, as a server starting or overloaded
	stall              // no answer until the client gives up
	reject             // InvalidArgument, as for a profile it cannot parse
)

// fakePyroscope is a loopback server of Pyroscope's push API (its own
// generated handler) that accepts, refuses, stalls or rejects on cue and
// keeps what it accepted.
type fakePyroscope struct {
	pushv1connect.UnimplementedPusherServiceHandler
	mode     atomic.Int32
	requests atomic.Int64 // every push that reached it

	mu       sync.Mutex
	accepted []*pushv1.RawProfileSeries
	url      string
}

func newFakePyroscope(t *testing.T) *fakePyroscope {
	f := &fakePyroscope{}
	mux := http.NewServeMux()
	mux.Handle(pushv1connect.NewPusherServiceHandler(f))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakePyroscope) set(m backendMode) { f.mode.Store(int32(m)) }

// Push answers as the mode says.
func (f *fakePyroscope) Push(ctx context.Context, req *connect.Request[pushv1.PushRequest]) (*connect.Response[pushv1.PushResponse], error) {
	f.requests.Add(1)
	switch backendMode(f.mode.Load()) {
	case refuse:
		return nil, connect.NewError(connect.CodeUnavailable, errString("not ready"))
	case stall:
		<-ctx.Done()
		return nil, ctx.Err()
	case reject:
		return nil, connect.NewError(connect.CodeInvalidArgument, errString("bad profile"))
	}
	f.mu.Lock()
	f.accepted = append(f.accepted, req.Msg.Series...)
	f.mu.Unlock()
	return connect.NewResponse(&pushv1.PushResponse{}), nil
}

// ids returns the ids of the profiles accepted, in order.
func (f *fakePyroscope) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, s := range f.accepted {
		for _, smp := range s.Samples {
			ids = append(ids, smp.ID)
		}
	}
	return ids
}

type errString string

func (e errString) Error() string { return string(e) }

// syncBuffer is a log destination safe for the queue's goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger returns a logger whose text the test can read.
func testLogger() (*slog.Logger, *syncBuffer) {
	var b syncBuffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

// waitFor polls cond until it holds, or fails t after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countLines returns how many lines of log contain s.
func countLines(log, s string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}
