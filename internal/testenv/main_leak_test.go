package testenv

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// leakEnv names, for TestLeakyChild, what the child test process leaves
// behind: a comma-separated list of leakyChild's cases.
const leakEnv = "FLAMEKIT_LEAKY_CHILD"

// TestLeakCheck runs this package's test binary as a child that leaves
// things behind, and checks that Main fails it with a report naming each.
func TestLeakCheck(t *testing.T) {
	doc, err := filepath.Abs("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("files and goroutines", func(t *testing.T) {
		t.Parallel()
		out := runLeakyChild(t, "file,pipe,socket,goroutine", 1)
		wantReport(t, out,
			"testenv: the tests left 4 file descriptor(s), 0 mapping(s), 0 process(es) and 1 goroutine(s) behind:",
			": "+doc+"\n",
			": pipe:[",
			": socket:[",
			"github.com/flamekit/flamekit/internal/testenv.leakyGoroutine(",
		)
	})
	t.Run("mapped file", func(t *testing.T) {
		t.Parallel()
		out := runLeakyChild(t, "mmap", 1)
		wantReport(t, out, "testenv: the tests left 0 file descriptor(s), 1 mapping(s), 0 process(es) and 0 goroutine(s) behind:", "  mapping ", " "+doc+"\n")
	})
	t.Run("processes", func(t *testing.T) {
		t.Parallel()
		out := runLeakyChild(t, "process,zombie", 1)
		wantReport(t, out,
			// cat's stdin, and each process's pidfd (Go holds one until Wait).
			"testenv: the tests left 3 file descriptor(s), 0 mapping(s), 2 process(es) and 0 goroutine(s) behind:",
			": anon_inode:[pidfd]\n",
			regexp.MustCompile(`\n  process [0-9]+: cat\n`),
			regexp.MustCompile(`\n  process [0-9]+: true \(exited, not waited for\)\n`))
	})
	t.Run("BPF map", func(t *testing.T) {
		t.Parallel()
		RequireRoot(t)
		out := runLeakyChild(t, "bpf-map", 1)
		wantReport(t, out, `: anon_inode:bpf-map (Array map "flamekit_leak", id `)
	})
	t.Run("perf event", func(t *testing.T) {
		t.Parallel()
		RequireSelfProfiling(t)
		out := runLeakyChild(t, "perf_event,perf_ring", 1)
		wantReport(t, out,
			"testenv: the tests left 1 file descriptor(s), 1 mapping(s), 0 process(es) and 0 goroutine(s) behind:",
			": anon_inode:[perf_event]\n",
			regexp.MustCompile(`  mapping [0-9a-f]+-[0-9a-f]+ .* anon_inode:\[perf_event\]\n`))
	})
	t.Run("settling", func(t *testing.T) {
		t.Parallel()
		// What is on its way out when the tests end is not a leak.
		out := runLeakyChild(t, "settling", 0)
		if strings.Contains(out, "testenv:") {
			t.Errorf("a child that left nothing behind was reported:\n%s", out)
		}
	})
}

// runLeakyChild runs TestLeakyChild in a child process told to leak what
// leak lists, checks that it exits with status code, and returns its output.
func runLeakyChild(t *testing.T, leak string, code int) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLeakyChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), leakEnv+"="+leak)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil && code == 0:
	case errors.As(err, &exit) && exit.ExitCode() == code:
	default:
		t.Fatalf("a child leaking %q: %v, want exit status %d\n%s", leak, err, code, out)
	}
	return string(out)
}

// wantReport checks that out contains each of want: strings, or regular
// expressions it matches.
func wantReport(t *testing.T, out string, want ...any) {
	t.Helper()
	for _, w := range want {
		found := false
		switch w := w.(type) {
		case string:
			found = strings.Contains(out, w)
		case *regexp.Regexp:
			found = w.MatchString(out)
		}
		if !found {
			t.Errorf("the report does not say %v:\n%s", w, out)
		}
	}
}

// TestLeakyChild is the child process of TestLeakCheck: with leakEnv set,
// it leaves behind what leakEnv lists.
func TestLeakyChild(t *testing.T) {
	leak := os.Getenv(leakEnv)
	if leak == "" {
		t.Skip("the child process of TestLeakCheck")
	}
	for _, what := range strings.Split(leak, ",") {
		leakyChild(t, what)
	}
}

// leftBehind keeps what the child leaks reachable, so the garbage
// collector does not close it.
var leftBehind []any

// leakyChild leaves one thing behind: a file, a pipe, a socket, a
// goroutine, a mapped file whose descriptor is closed, a running process,
// an exited one not waited for, a BPF map, a perf event, or a perf event's
// mapped ring buffer; or, for "settling", things that are only on their
// way out when the test ends.
func leakyChild(t *testing.T, what string) {
	switch what {
	case "file":
		f, err := os.Open("doc.go")
		if err != nil {
			t.Fatal(err)
		}
		leftBehind = append(leftBehind, f)
	case "pipe":
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		leftBehind = append(leftBehind, r, w)
	case "socket":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		leftBehind = append(leftBehind, l)
	case "goroutine":
		go leakyGoroutine(make(chan int))
	case "process":
		// cat exits when this process does, which closes its stdin.
		cat := exec.Command("cat")
		in, err := cat.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cat.Start(); err != nil {
			t.Fatal(err)
		}
		leftBehind = append(leftBehind, cat, in)
	case "zombie":
		cmd := exec.Command("true")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		leftBehind = append(leftBehind, cmd)
		waitForZombie(t, cmd.Process.Pid)
	case "bpf-map":
		m, err := ebpf.NewMap(&ebpf.MapSpec{Name: "flamekit_leak", Type: ebpf.Array, KeySize: 4, ValueSize: 4, MaxEntries: 1})
		if err != nil {
			t.Fatal(err)
		}
		leftBehind = append(leftBehind, m)
	case "mmap":
		f, err := os.Open("doc.go")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Mmap(int(f.Fd()), 0, 1, unix.PROT_READ, unix.MAP_SHARED); err != nil {
			t.Fatal(err)
		}
		f.Close()
	case "perf_event":
		openPerfEvent(t)
	case "perf_ring":
		// A ring buffer left mapped keeps its event open after its
		// descriptor is closed.
		fd := openPerfEvent(t)
		if _, err := unix.Mmap(fd, 0, 2*os.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err != nil {
			t.Fatal(err)
		}
		unix.Close(fd)
	case "settling":
		// A goroutine that closes a file and returns after the test, and
		// a file only the garbage collector closes.
		f, err := os.Open("doc.go")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(300 * time.Millisecond)
			f.Close()
		}()
		if _, err := os.Open("doc.go"); err != nil {
			t.Fatal(err)
		}
		// A process that exits, and is waited for, after the test.
		sleep := exec.Command("sleep", "0.3")
		if err := sleep.Start(); err != nil {
			t.Fatal(err)
		}
		go sleep.Wait()
		runtime.Gosched()
	default:
		t.Fatalf("%s=%s: no such leak", leakEnv, what)
	}
}

// waitForZombie waits until process pid has exited, without reaping it.
func waitForZombie(t *testing.T, pid int) {
	for range 500 {
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil); err != nil {
			t.Fatal(err)
		}
		if info.Signo != 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d did not exit in 5 s", pid)
}

// openPerfEvent opens a software event counting this process's task
// clock, disabled, and returns its descriptor.
func openPerfEvent(t *testing.T) int {
	attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_TASK_CLOCK, Bits: unix.PerfBitDisabled | unix.PerfBitExcludeKernel}
	attr.Size = uint32(unsafe.Sizeof(attr))
	fd, err := unix.PerfEventOpen(&attr, 0, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// leakyGoroutine waits for ever on c, which nobody sends on.
func leakyGoroutine(c chan int) {
	<-c
}
