package main

import (
	"compress/gzip"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	collectorpb "go.opentelemetry.io/proto/slim/otlp/collector/profiles/v1development"
	"google.golang.org/protobuf/proto"

	"github.com/flamekit/flamekit/fleet"
	"github.com/flamekit/flamekit/internal/testenv"
)

// refusingOTLP answers OTLP profiles exports 503 until it is told to
// accept, and counts the profiles it accepted per service.name.
type refusingOTLP struct {
	accepting atomic.Bool
	mu        sync.Mutex
	services  map[string]int
}

func (f *refusingOTLP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !f.accepting.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(zr)
	var req collectorpb.ExportProfilesServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, rp := range req.ResourceProfiles {
		for _, kv := range rp.GetResource().GetAttributes() {
			if kv.Key == fleet.AttrServiceName {
				f.services[kv.GetValue().GetStringValue()]++
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

func (f *refusingOTLP) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.services {
		n += c
	}
	return n
}

// With --pyroscope and --otlp the agent pushes every profile to both, each
// from a queue of its own: an OTLP endpoint that answers 503 is retried,
// logged and counted (flamekit_agent_otlp_*) while Pyroscope gets its
// profiles, the OTLP queue spools to --out/otlp, and what it held is
// pushed on SIGTERM once the endpoint accepts.
func TestAgentPyroscopeAndOTLP(t *testing.T) {
	testenv.RequireRoot(t)
	pyro := &refusingPyroscope{services: map[string]int{}}
	pyro.accepting.Store(true)
	otlp := &refusingOTLP{services: map[string]int{}}
	mux := http.NewServeMux()
	mux.Handle(pushv1connect.NewPusherServiceHandler(pyro))
	mux.Handle("POST "+fleet.OTLPPath, otlp)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	out := t.TempDir()
	agent := startAgent(t, "--pyroscope", srv.URL, "--otlp", srv.URL, "--out", out, "--every", "1s", "--max-backoff", "200ms",
		"--flush-timeout", "20s", "--metrics-addr", "127.0.0.1:0")
	waitAgent(t, agent, "three collections", func() bool { return strings.Count(agent.text(), "collected") >= 3 })

	body := agentMetrics(t, agent.text())
	metric := func(name string) string {
		v := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindStringSubmatch(string(body))
		if v == nil {
			t.Fatalf("no %s in the metrics:\n%s", name, body)
		}
		return v[1]
	}
	if metric("flamekit_agent_push_failures_total") != "0" || metric("flamekit_agent_profiles_pushed_total") == "0" {
		t.Errorf("Pyroscope's queue should push without failures:\n%s", body)
	}
	if metric("flamekit_agent_otlp_push_failures_total") == "0" || metric("flamekit_agent_otlp_profiles_pushed_total") != "0" {
		t.Errorf("the OTLP queue should count its failures and nothing pushed:\n%s", body)
	}
	if !strings.Contains(agent.text(), "503 Service Unavailable") {
		t.Errorf("the log does not say the OTLP endpoint answered 503: %s", agent.text())
	}
	spooled, err := filepath.Glob(filepath.Join(out, "otlp", "*"))
	if err != nil || len(spooled) == 0 {
		t.Errorf("nothing spooled in %s/otlp while the OTLP endpoint refused (%v)", out, err)
	}

	otlp.accepting.Store(true)
	agent.stop(t)
	lines := strings.Split(agent.text(), "\n")
	last := lines[len(lines)-1]
	counts := statsPattern.FindAllStringSubmatch(last, -1)
	if len(counts) != 2 || !strings.Contains(last, "otlp_stats=") {
		t.Fatalf("the last log line does not have both queues' counts: %s", last)
	}
	for i, c := range counts {
		if c[4] != "0" || c[5] != "0" || c[6] != "0" {
			t.Errorf("queue %d at exit: %s, want nothing dropped, rejected or left", i, c[0])
		}
	}
	if got := otlp.total(); got == 0 || counts[1][1] != strconv.Itoa(got) {
		t.Errorf("the OTLP endpoint got %d profiles, the agent counts %s", got, counts[1][0])
	}
	// Every batch went to both: the same profiles per service.
	pyro.mu.Lock()
	otlp.mu.Lock()
	if !maps.Equal(pyro.services, otlp.services) {
		t.Errorf("profiles per service: Pyroscope %v, OTLP %v; want the same", pyro.services, otlp.services)
	}
	otlp.mu.Unlock()
	pyro.mu.Unlock()
	if left, _ := os.ReadDir(filepath.Join(out, "otlp")); len(left) != 0 {
		t.Errorf("%d files left in %s/otlp after the flush", len(left), out)
	}
}

func waitAgent(t *testing.T, a *agentProcess, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %s", what, a.text())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
