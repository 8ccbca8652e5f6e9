package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"

	"connectrpc.com/connect"
	pprofile "github.com/google/pprof/profile"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"

	"github.com/flamekit/flamekit/internal/testenv"
)

// namingPyroscope accepts every push and keeps, per profile name, the
// services pushed and the value type of their pprof.
type namingPyroscope struct {
	pushv1connect.UnimplementedPusherServiceHandler
	mu        sync.Mutex
	services  map[string]map[string]bool // __name__ → service_name
	valueType map[string]string          // __name__ → "type/unit"
}

func (f *namingPyroscope) Push(ctx context.Context, req *connect.Request[pushv1.PushRequest]) (*connect.Response[pushv1.PushResponse], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range req.Msg.Series {
		var name, service string
		for _, l := range s.Labels {
			switch l.Name {
			case "__name__":
				name = l.Value
			case "service_name":
				service = l.Value
			}
		}
		if f.services[name] == nil {
			f.services[name] = map[string]bool{}
		}
		f.services[name][service] = true
		p, err := pprofile.ParseData(s.Samples[0].RawProfile)
		if err != nil {
			return nil, connect.NewError(connect.CodeInvalidArgument, err)
		}
		f.valueType[name] = p.SampleType[1].Type + "/" + p.SampleType[1].Unit
	}
	return connect.NewResponse(&pushv1.PushResponse{}), nil
}

// With --off-cpu the agent pushes, beside process_cpu, an off_cpu profile
// of blocked time in microseconds, in which a shell loop of sleeps shows.
func TestAgentOffCPU(t *testing.T) {
	testenv.RequireRoot(t)
	backend := &namingPyroscope{services: map[string]map[string]bool{}, valueType: map[string]string{}}
	mux := http.NewServeMux()
	mux.Handle(pushv1connect.NewPusherServiceHandler(backend))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	agent := startAgent(t, "--pyroscope", srv.URL, "--every", "1s", "--off-cpu")
	sleeper := exec.Command("sh", "-c", "for i in $(seq 30); do sleep 0.1; done")
	if err := sleeper.Run(); err != nil {
		t.Fatal(err)
	}
	agent.stop(t)
	if stats := agent.finalStats(t); stats["failed"] != 0 || stats["dropped"] != 0 {
		t.Errorf("counts %v: want no failures", stats)
	}
	backend.mu.Lock()
	defer backend.mu.Unlock()
	if got := backend.valueType["process_cpu"]; got != "cpu/nanoseconds" {
		t.Errorf("process_cpu's values are %q, want cpu/nanoseconds", got)
	}
	if got := backend.valueType["off_cpu"]; got != "off-cpu/microseconds" {
		t.Errorf("off_cpu's values are %q, want off-cpu/microseconds (profiles pushed: %v)", got, backend.valueType)
	}
	if !backend.services["off_cpu"]["sleep"] {
		t.Errorf("no off_cpu profile of service sleep; services: %v", backend.services["off_cpu"])
	}
}
