package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	pprofile "github.com/google/pprof/profile"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestAgentUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--pyroscope URL, --otlp URL or --out DIR is needed"},
		{[]string{"--pyroscope", "localhost:4040"}, "want http:// or https://"},
		{[]string{"--otlp", "localhost:4040"}, "--otlp: fleet: OTLP URL \"localhost:4040\": want http:// or https:// and a host"},
		{[]string{"--out", "x", "--labels", "env"}, `--labels "env": want k=v`},
		{[]string{"--out", "x", "--labels", "1a=b"}, `"1a" is not a label name`},
		{[]string{"--out", "x", "--labels", "service_name=b"}, "service_name is set by --service-name"},
		{[]string{"--out", "x", "--every", "0s"}, "--every 0s: want a positive duration"},
		{[]string{"--out", "x", "extra"}, `unexpected "extra"`},
	} {
		r := runCLI(t, "", "", append([]string{"agent"}, tc.args...)...)
		r.wantFailure(t, strings.Join(tc.args, " "), 2, tc.want)
	}
}

func TestParseLabels(t *testing.T) {
	got, err := parseLabels("env=prod,region=eu_west,team=a=b")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["env"] != "prod" || got["region"] != "eu_west" || got["team"] != "a=b" {
		t.Errorf("parseLabels = %v", got)
	}
}

func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{"", "a=b", "a=b,c=d", "=x", "a=", "__name__=x", "hostname=h", "a=b,,c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		labels, err := parseLabels(s)
		if err != nil {
			return
		}
		for k, v := range labels {
			if !labelNamePattern.MatchString(k) || strings.HasPrefix(k, "__") || v == "" {
				t.Fatalf("parseLabels(%q) accepted %q=%q", s, k, v)
			}
		}
	})
}

// --out alone keeps rotated pprof files of the system's samples, no more
// than --out-max-files.
func TestAgentOutRotates(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	r := runCLI(t, "", "", "agent", "--out", dir, "--every", "1s", "--for", "5s", "--out-max-files", "2")
	if r.code != 0 {
		t.Fatalf("agent: exit status %d: %q", r.code, r.stderr)
	}
	names := dirFiles(t, dir)
	if len(names) != 2 {
		t.Fatalf("files %v, want the newest 2 (log %q)", names, r.stderr)
	}
	if n := strings.Count(strings.Join(r.stderr, "\n"), "collected"); n < 4 {
		t.Errorf("%d collections logged in 5 s at 1 s, want 4 or more: %q", n, r.stderr)
	}
	// Both have samples: the last collection, at the stop, may cover no
	// time, and writes no file then.
	for _, name := range names {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		p, err := pprofile.Parse(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if len(p.Sample) == 0 {
			t.Errorf("%s: no samples", name)
		}
	}
}

// refusingPyroscope answers Unavailable until it is told to accept, and
// keeps the series it accepted.
type refusingPyroscope struct {
	pushv1connect.UnimplementedPusherServiceHandler
	accepting atomic.Bool
	mu        sync.Mutex
	services  map[string]int
}

func (f *refusingPyroscope) Push(ctx context.Context, req *connect.Request[pushv1.PushRequest]) (*connect.Response[pushv1.PushResponse], error) {
	if !f.accepting.Load() {
		return nil, connect.NewError(connect.CodeUnavailable, context.DeadlineExceeded)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range req.Msg.Series {
		for _, l := range s.Labels {
			if l.Name == "service_name" {
				f.services[l.Value]++
			}
		}
	}
	return connect.NewResponse(&pushv1.PushResponse{}), nil
}

// startRefusedAgent starts an agent pushing to a backend that refuses it,
// and waits until it has logged a failed push and queued a few collections.
func startRefusedAgent(t *testing.T, flushTimeout string) (*agentProcess, *refusingPyroscope) {
	t.Helper()
	backend := &refusingPyroscope{services: map[string]int{}}
	mux := http.NewServeMux()
	mux.Handle(pushv1connect.NewPusherServiceHandler(backend))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	agent := startAgent(t, "--pyroscope", srv.URL, "--every", "1s", "--max-backoff", "200ms", "--flush-timeout", flushTimeout,
		"--metrics-addr", "127.0.0.1:0")
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(agent.text(), "push failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no push failure logged: %s", agent.text())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // a few collections queue up
	return agent, backend
}

// metricsPattern finds the agent's metrics URL in its log.
var metricsPattern = regexp.MustCompile(`url=(http://\S+/metrics)`)

// agentMetrics fetches the metrics of the agent whose log is text.
func agentMetrics(t *testing.T, text string) []byte {
	t.Helper()
	m := metricsPattern.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no metrics URL in the log: %s", text)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", m[1], resp.StatusCode, err)
	}
	return body
}

// The agent serves its counts in Prometheus' format: its failed pushes
// show there as they happen.
func TestAgentMetrics(t *testing.T) {
	testenv.RequireRoot(t)
	agent, _ := startRefusedAgent(t, "1s")
	body := agentMetrics(t, agent.text())
	failures := regexp.MustCompile(`(?m)^flamekit_agent_push_failures_total (\d+)$`).FindStringSubmatch(string(body))
	if failures == nil || failures[1] == "0" {
		t.Errorf("want push failures counted in the metrics:\n%s", body)
	}
	for _, name := range []string{"# TYPE flamekit_agent_profiles_dropped_total counter", "flamekit_agent_profiles_queued ", "flamekit_agent_profiles_pushed_total 0"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("the metrics lack %q:\n%s", name, body)
		}
	}
}

// On SIGTERM the agent pushes what it held while the backend refused it,
// once the backend is back within --flush-timeout, and says that nothing
// was dropped.
func TestAgentFlushesOnSIGTERM(t *testing.T) {
	testenv.RequireRoot(t)
	agent, backend := startRefusedAgent(t, "20s")
	agent.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(time.Second)
	if stats := agent.finalStats(t); stats["pushed"] != 0 {
		t.Fatalf("pushed %d to a backend that refused", stats["pushed"])
	}
	backend.accepting.Store(true)
	agent.stop(t)
	stats := agent.finalStats(t)
	if stats["pushed"] < 2 || stats["dropped"] != 0 || stats["queued"] != 0 || stats["failed"] == 0 {
		t.Errorf("counts at exit %v: want the held profiles pushed after failures, none dropped or left", stats)
	}
	backend.mu.Lock()
	defer backend.mu.Unlock()
	var pushed uint64
	for _, n := range backend.services {
		pushed += uint64(n)
	}
	if pushed != stats["pushed"] {
		t.Errorf("the backend got %d profiles, the agent counts %d pushed", pushed, stats["pushed"])
	}
}

// When the backend stays down past --flush-timeout, the agent drops what it
// holds, counts it, and exits with an error saying how many.
func TestAgentFlushDeadline(t *testing.T) {
	testenv.RequireRoot(t)
	agent, _ := startRefusedAgent(t, "1s")
	agent.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-agent.done:
	case <-time.After(time.Minute):
		t.Fatalf("the agent did not exit within a minute of SIGTERM: %s", agent.text())
	}
	if code := commandStatus(agent.cmd.ProcessState); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	stats := agent.finalStats(t)
	if stats["dropped"] == 0 || stats["pushed"] != 0 {
		t.Errorf("counts at exit %v: want the held profiles dropped", stats)
	}
	if !strings.Contains(agent.text(), "not pushed before the deadline, dropped") {
		t.Errorf("the log does not say what was dropped: %s", agent.text())
	}
}
