package symbolize

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// perfMapLine finds the last line of a perf map whose name contains name,
// reading the file the plain way, and returns an address in its middle.
func perfMapLine(t *testing.T, path, name string) (addr uint64, full string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 3)
		if len(fields) == 3 && strings.Contains(fields[2], name) {
			start, err1 := strconv.ParseUint(strings.TrimPrefix(fields[0], "0x"), 16, 64)
			size, err2 := strconv.ParseUint(strings.TrimPrefix(fields[1], "0x"), 16, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("bad line %q", sc.Text())
			}
			addr, full = start+size/2, fields[2]
		}
	}
	if full == "" {
		t.Fatalf("no %q in %s", name, path)
	}
	return addr, full
}

// TestProcessJava snapshots a running JVM (testdata/jit/Hot.java), which
// writes its perf map only at exit, then names its hot method from that map
// after it exited.
func TestProcessJava(t *testing.T) {
	java, javac := testenv.RequireTool(t, "java", ""), testenv.RequireTool(t, "javac", "")
	dir := t.TempDir()
	if out, err := exec.Command(javac, "-d", dir, "testdata/jit/Hot.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	prog := exec.Command(java, "-XX:+UnlockDiagnosticVMOptions", "-XX:+DumpPerfMapAtExit", "-XX:+PreserveFramePointer", "-cp", dir, "Hot")
	prog.Dir = dir
	c := testenv.StartChild(t, prog)
	c.WaitLine(t, "ready")
	p := snapshot(t, c.Process.Pid)
	mapPath := fmt.Sprintf("/tmp/perf-%d.map", c.Process.Pid)
	t.Cleanup(func() { os.Remove(mapPath) })
	c.Finish(t)
	if err := p.Refresh(); err != nil {
		t.Fatal(err)
	}
	addr, name := perfMapLine(t, mapPath, "Hot.fib(int)")
	r := p.resolve(addr)
	if r.kind != addrJIT || r.mapping == nil || r.frame.Function != name || r.frame.Kind != KindJIT || r.frame.Module.Path != mapPath {
		t.Fatalf("resolve(%#x) = %+v; want %q from %s", addr, r, name, mapPath)
	}
	if p.perfMap.Bad != 0 {
		t.Errorf("%d bad lines in the JVM's perf map", p.perfMap.Bad)
	}
}

// TestProcessNode snapshots a running node (testdata/jit/hot.js) with a perf
// map and a jitdump (found through its mapping), then names its hot function
// from both.
func TestProcessNode(t *testing.T) {
	node := testenv.RequireTool(t, "node", "")
	dir := t.TempDir()
	script, err := filepath.Abs("testdata/jit/hot.js")
	if err != nil {
		t.Fatal(err)
	}
	prog := exec.Command(node, "--perf-basic-prof", "--perf-prof", script)
	prog.Dir = dir
	c := testenv.StartChild(t, prog)
	c.WaitLine(t, "ready")
	p := snapshot(t, c.Process.Pid)
	mapPath := fmt.Sprintf("/tmp/perf-%d.map", c.Process.Pid)
	dumpPath := filepath.Join(dir, fmt.Sprintf("jit-%d.dump", c.Process.Pid))
	t.Cleanup(func() { os.Remove(mapPath) })
	if p.jitdump == nil || p.jitPath != dumpPath {
		t.Fatalf("jitdump %s not found through the maps (found %q)", dumpPath, p.jitPath)
	}
	c.Finish(t)
	if err := p.Refresh(); err != nil {
		t.Fatal(err)
	}
	addr, name := perfMapLine(t, mapPath, "JS:*fib ")
	if s, ok := p.perfMap.Lookup(addr); !ok || s.Name != name {
		t.Errorf("perf map: %+v, %v; want %q", s, ok, name)
	}
	if s, ok := p.jitdump.Lookup(addr); !ok || s.Name != name {
		t.Errorf("jitdump: %+v, %v; want %q", s, ok, name)
	}
	r := p.resolve(addr)
	if r.kind != addrJIT || r.mapping == nil || r.frame.Function != name || r.frame.Module.Path != dumpPath {
		t.Errorf("resolve(%#x) = %+v; want %q from %s", addr, r, name, dumpPath)
	}
}

// TestProcessContainerPerfMap reads the perf map of a process in its own
// pid and mount namespaces: /tmp/perf-1.map on a tmpfs only it sees.
func TestProcessContainerPerfMap(t *testing.T) {
	testenv.RequireRoot(t)
	unshare := testenv.RequireTool(t, "unshare", "")
	c := testenv.StartChild(t, exec.Command(unshare, "--pid", "--fork", "--mount", "sh", "-c",
		`mount -t tmpfs none /tmp && printf '1000 10 in_container\n' > /tmp/perf-1.map && echo ready && read x; exit 0`))
	c.WaitLine(t, "ready")
	p := snapshot(t, childPID(t, c.Process.Pid))
	if p.NSPID != 1 {
		t.Errorf("NSPID = %d, want 1", p.NSPID)
	}
	fr, ok := p.jitFrame(0x1004)
	if !ok || fr.Function != "in_container" || fr.Module.Path != "/tmp/perf-1.map" || fr.Offset != 4 {
		t.Errorf("jitFrame = %+v, %v", fr, ok)
	}
	c.Finish(t)
}

// TestProcessStalePerfMap ignores a perf map older than the process: one
// left behind by an earlier process with the same pid.
func TestProcessStalePerfMap(t *testing.T) {
	c := testenv.StartChild(t, exec.Command("/bin/sh", "-c", "echo ready; read x; exit 0"))
	c.WaitLine(t, "ready")
	path := fmt.Sprintf("/tmp/perf-%d.map", c.Process.Pid)
	if err := os.WriteFile(path, []byte("1000 10 old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	p := snapshot(t, c.Process.Pid)
	if _, ok := p.jitFrame(0x1004); ok {
		t.Error("named an address from a stale perf map")
	}
	if err := os.Chtimes(path, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := p.Refresh(); err != nil {
		t.Fatal(err)
	}
	if fr, ok := p.jitFrame(0x1004); !ok || fr.Function != "old" {
		t.Errorf("fresh perf map: %+v, %v", fr, ok)
	}
	c.Finish(t)
}

// childPID returns the only child of process pid.
func childPID(t *testing.T, pid int) int {
	t.Helper()
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if err != nil {
			t.Fatal(err)
		}
		if f := strings.Fields(string(b)); len(f) == 1 {
			n, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("pid %d has no single child", pid)
	return 0
}

// TestProcessConcurrentRefresh resolves while the JIT sources are reread
// (run with -race).
func TestProcessConcurrentRefresh(t *testing.T) {
	path := fmt.Sprintf("/tmp/perf-%d.map", os.Getpid())
	if err := os.WriteFile(path, []byte("1000 10 jitted\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	p := snapshot(t, os.Getpid())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 50 {
			if err := p.Refresh(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 1000 {
		if r := p.resolve(0x1004); r.kind != addrJIT || r.frame.Function != "jitted" {
			t.Fatalf("resolve = %+v", r)
		}
	}
	<-done
}
