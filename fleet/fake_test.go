package fleet

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
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
	collectorpb "go.opentelemetry.io/proto/slim/otlp/collector/profiles/v1development"
	"google.golang.org/protobuf/proto"
)

// backendMode is how the fake Pyroscope answers pushes.
type backendMode int32

const (
	accept  backendMode = iota
	refuse              // Unavailable, as a server starting or overloaded
	stall               // no answer until the client gives up
	reject              // InvalidArgument, as for a profile it cannot parse
	partial             // OTLP only: 200 with a partial_success rejecting one profile
)

// fakePyroscope is a loopback server of Pyroscope's push API (its own
// generated handler) and of its OTLP profiles route (OTLPPath) that
// accepts, refuses, stalls or rejects on cue and keeps what it accepted.
type fakePyroscope struct {
	pushv1connect.UnimplementedPusherServiceHandler
	mode     atomic.Int32
	requests atomic.Int64 // every push that reached it

	mu       sync.Mutex
	accepted []*pushv1.RawProfileSeries
	otlp     []*collectorpb.ExportProfilesServiceRequest // OTLP requests accepted
	url      string
}

func newFakePyroscope(t *testing.T) *fakePyroscope {
	f := &fakePyroscope{}
	mux := http.NewServeMux()
	mux.Handle(pushv1connect.NewPusherServiceHandler(f))
	mux.HandleFunc("POST "+OTLPPath, f.exportOTLP)
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

// exportOTLP answers an OTLP/HTTP profiles export as the mode says; the
// requests it accepts must be gzipped protobuf that decodes.
func (f *fakePyroscope) exportOTLP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	switch backendMode(f.mode.Load()) {
	case refuse:
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	case stall:
		// The server notices the client gone only once the body is read.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return
	case reject:
		http.Error(w, "bad profile", http.StatusBadRequest)
		return
	}
	if r.Header.Get("Content-Type") != "application/x-protobuf" || r.Header.Get("Content-Encoding") != "gzip" {
		http.Error(w, "want gzipped application/x-protobuf", http.StatusUnsupportedMediaType)
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(zr)
	req := &collectorpb.ExportProfilesServiceRequest{}
	if err == nil {
		err = proto.Unmarshal(body, req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	resp := &collectorpb.ExportProfilesServiceResponse{}
	if backendMode(f.mode.Load()) == partial {
		resp.PartialSuccess = &collectorpb.ExportProfilesPartialSuccess{RejectedProfiles: 1, ErrorMessage: "one profile is too old"}
	}
	f.mu.Lock()
	f.otlp = append(f.otlp, req)
	f.mu.Unlock()
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// ids returns the ids of the profiles accepted, in order: of the Pyroscope
// pushes, then of the OTLP ones (their profile_id as a UUID).
func (f *fakePyroscope) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, s := range f.accepted {
		for _, smp := range s.Samples {
			ids = append(ids, smp.ID)
		}
	}
	for _, req := range f.otlp {
		for _, rp := range req.ResourceProfiles {
			for _, sp := range rp.ScopeProfiles {
				for _, p := range sp.Profiles {
					id := p.ProfileId
					if len(id) != 16 {
						ids = append(ids, fmt.Sprintf("bad profile_id %x", id))
						continue
					}
					ids = append(ids, fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:]))
				}
			}
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
