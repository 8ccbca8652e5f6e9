package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	querierv1 "github.com/grafana/pyroscope/api/gen/proto/go/querier/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/querier/v1/querierv1connect"

	"github.com/flamekit/flamekit/internal/testenv"
)

// pyroscopeBinEnv names the Pyroscope server binary the end-to-end tests
// run (bench/pyroscope-e2e builds and caches one).
const pyroscopeBinEnv = "FLAMEKIT_PYROSCOPE_BIN"

// pyroscopeServer is a single-binary Pyroscope on loopback ports of its
// own, its data in a directory of the test's, which can be stopped and
// started again on the same ports and data.
type pyroscopeServer struct {
	bin, dir           string
	http, grpc, gossip int
	cmd                *exec.Cmd
	exited             chan struct{}
	log                *os.File
}

// startPyroscope starts the server at $FLAMEKIT_PYROSCOPE_BIN, or skips t
// when that is not set: CI sets it where bench/pyroscope-e2e cached one.
func startPyroscope(t *testing.T) *pyroscopeServer {
	t.Helper()
	bin := os.Getenv(pyroscopeBinEnv)
	if bin == "" {
		t.Skipf("%s is not set: bench/pyroscope-e2e --pyroscope-src DIR builds a Pyroscope server and caches it in ~/.cache/flamekit/pyroscope/pyroscope", pyroscopeBinEnv)
	}
	testenv.RequireFile(t, bin, "bench/pyroscope-e2e --pyroscope-src DIR builds it")
	s := &pyroscopeServer{bin: bin, dir: t.TempDir(), http: freePort(t), grpc: freePort(t), gossip: freePort(t)}
	s.start(t)
	t.Cleanup(func() { s.stop(t) })
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL is the server's HTTP address.
func (s *pyroscopeServer) URL() string { return "http://127.0.0.1:" + strconv.Itoa(s.http) }

// args are the flags of a single binary whose every address is loopback
// (otherwise its rings advertise the machine's address and queries hang),
// on storage v1 (with v2, writes were accepted but nothing was queryable).
func (s *pyroscopeServer) args() []string {
	args := []string{"-target=all", "-architecture.storage=v1", "-write-path=ingester", "-usage-stats.enabled=false",
		"-server.http-listen-address=127.0.0.1", "-server.http-listen-port=" + strconv.Itoa(s.http),
		"-server.grpc-listen-address=127.0.0.1", "-server.grpc-listen-port=" + strconv.Itoa(s.grpc),
		"-pyroscopedb.data-path=" + filepath.Join(s.dir, "data"), "-storage.backend=filesystem",
		"-storage.filesystem.dir=" + filepath.Join(s.dir, "blocks"),
		"-memberlist.advertise-addr=127.0.0.1", "-memberlist.bind-addr=127.0.0.1", "-memberlist.bind-port=" + strconv.Itoa(s.gossip)}
	for _, f := range []string{"ingester.lifecycler.addr", "distributor.ring.instance-addr", "query-scheduler.ring.instance-addr",
		"compactor.ring.instance-addr", "store-gateway.sharding-ring.instance-addr", "overrides-exporter.ring.instance-addr",
		"query-frontend.instance-addr"} {
		args = append(args, "-"+f+"=127.0.0.1")
	}
	return args
}

// start starts the server and waits for /ready.
func (s *pyroscopeServer) start(t *testing.T) {
	t.Helper()
	var err error
	if s.log, err = os.OpenFile(filepath.Join(s.dir, "pyroscope.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(s.bin, s.args()...)
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { cmd.Wait(); close(exited) }(s.cmd, s.exited)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.URL() + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("pyroscope exited before it was ready; its log:\n%s", s.logTail())
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pyroscope not ready after 2 minutes; its log:\n%s", s.logTail())
		}
	}
}

// stop ends the server with SIGTERM (it writes its head block), or kills
// it after 30 s.
func (s *pyroscopeServer) stop(t *testing.T) {
	t.Helper()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		t.Errorf("pyroscope did not stop within 30 s of SIGTERM; killed")
	}
	s.cmd = nil
	s.log.Close()
}

func (s *pyroscopeServer) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "pyroscope.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// cpuProfileType is the profile type of the CPU time the agent pushes.
const cpuProfileType = "process_cpu:cpu:nanoseconds:cpu:nanoseconds"

// selectTotals queries SelectMergeStacktraces for the CPU profile of the
// series a label selector picks since since, with Pyroscope's own API
// types, and returns the whole total and the total of each frame name
// (summed over the nodes named so).
func (s *pyroscopeServer) selectTotals(t *testing.T, selector string, since time.Time) (int64, map[string]int64) {
	t.Helper()
	return s.selectTypeTotals(t, cpuProfileType, selector, since)
}

// selectTypeTotals is selectTotals of a profile type.
func (s *pyroscopeServer) selectTypeTotals(t *testing.T, profileType, selector string, since time.Time) (int64, map[string]int64) {
	t.Helper()
	client := querierv1connect.NewQuerierServiceClient(http.DefaultClient, s.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := client.SelectMergeStacktraces(ctx, connect.NewRequest(&querierv1.SelectMergeStacktracesRequest{
		ProfileTypeID: profileType, LabelSelector: selector,
		Start: since.Add(-time.Minute).UnixMilli(), End: time.Now().Add(time.Minute).UnixMilli(),
	}))
	if err != nil {
		t.Fatalf("SelectMergeStacktraces of %s: %v", selector, err)
	}
	fg := resp.Msg.Flamegraph
	totals := map[string]int64{}
	if fg == nil {
		return 0, totals
	}
	for _, level := range fg.Levels {
		// Each node is (x offset, total, self, name index).
		for i := 0; i+3 < len(level.Values); i += 4 {
			totals[fg.Names[level.Values[i+3]]] += level.Values[i+1]
		}
	}
	return fg.Total, totals
}
