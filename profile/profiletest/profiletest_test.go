package profiletest_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/pprof/profile"
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/profiletest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// hotFunction is the function the profiles must name.
const hotFunction = "github.com/flamekit/flamekit/profile/profiletest_test.burnCPU"

var sink uint64

// burnCPU spins for d.
//
//go:noinline
func burnCPU(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := uint64(0); i < 100000; i++ {
			sink += i * i
		}
	}
}

// denyEnv, set in the environment of a child test binary, makes
// TestProfiledBurn refuse itself perf_event_open first.
const denyEnv = "PROFILETEST_DENY_PERF_EVENT_OPEN"

// TestProfiledBurn profiles itself burning CPU for a second. Run by
// TestArtifacts with -artifacts, it leaves its profile in the output
// directory; run with denyEnv set, by TestNotPermitted, it cannot profile
// and must pass all the same.
func TestProfiledBurn(t *testing.T) {
	if os.Getenv(denyEnv) != "" {
		denyPerfEventOpen(t)
	} else {
		testenv.RequireSelfProfiling(t)
	}
	profiletest.Start(t, profiletest.Formats(profiletest.SVG, profiletest.Pprof, profiletest.Folded))
	burnCPU(time.Second)
}

// BenchmarkProfiledBurn is TestProfiledBurn's benchmark.
func BenchmarkProfiledBurn(b *testing.B) {
	testenv.RequireSelfProfiling(b)
	profiletest.Start(b)
	for b.Loop() {
		burnCPU(10 * time.Millisecond)
	}
}

// runChild runs this test binary again with args, and env added to its
// environment, and returns its output; it fails t if the run fails.
func runChild(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", os.Args[0], strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestArtifacts runs TestProfiledBurn and BenchmarkProfiledBurn with
// -artifacts, and finds their files in the output directory, where the
// child's log says, naming the hot function.
func TestArtifacts(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	outdir := t.TempDir()
	out := runChild(t, nil, "-test.run=^TestProfiledBurn$", "-test.bench=^BenchmarkProfiledBurn$", "-test.benchtime=0.5s",
		"-test.artifacts", "-test.outputdir="+outdir, "-test.v")
	checkArtifacts(t, out, outdir, "TestProfiledBurn", ".svg", ".pb.gz", ".folded.txt")
	checkArtifacts(t, out, outdir, "BenchmarkProfiledBurn", ".svg", ".pb.gz")
}

// checkArtifacts checks that the files of test name with these extensions
// are in its artifact directory under outdir, that the child's output
// names them, and that they name the hot function.
func checkArtifacts(t *testing.T, out, outdir, name string, exts ...string) {
	t.Helper()
	for _, ext := range exts {
		paths := findFiles(t, filepath.Join(outdir, "_artifacts"), name+ext)
		if len(paths) != 1 {
			t.Errorf("%s%s: found %q, want one file; the child said:\n%s", name, ext, paths, out)
			continue
		}
		if !strings.Contains(out, paths[0]) {
			t.Errorf("the child's log does not say where it wrote %s:\n%s", paths[0], out)
		}
		data, err := os.ReadFile(paths[0])
		if err != nil {
			t.Fatal(err)
		}
		if ext == ".pb.gz" {
			checkPprofNames(t, paths[0], data)
		} else if !bytes.Contains(data, []byte(hotFunction)) {
			t.Errorf("%s does not name %s", paths[0], hotFunction)
		}
	}
}

// findFiles returns the paths of the files called name under dir. (Where
// under dir depends on the Go release: Go 1.26 puts each test's in
// PACKAGE/TEST/RANDOM or, when it cannot, in RANDOM.)
func findFiles(t *testing.T, dir, name string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == name {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return paths
}

// checkPprofNames checks that a pprof profile has the hot function.
func checkPprofNames(t *testing.T, path string, data []byte) {
	t.Helper()
	p, err := profile.ParseData(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, f := range p.Function {
		if f.Name == hotFunction {
			return
		}
	}
	t.Errorf("%s has no function %s", path, hotFunction)
}

// TestNotPermitted runs TestProfiledBurn where perf_event_open is refused:
// it passes, says why it has no profile, and writes no file.
func TestNotPermitted(t *testing.T) {
	outdir := t.TempDir()
	out := runChild(t, []string{denyEnv + "=1"}, "-test.run=^TestProfiledBurn$", "-test.artifacts", "-test.outputdir="+outdir, "-test.v")
	t.Logf("the child said:\n%s", out)
	if !strings.Contains(out, "profiletest: not profiling TestProfiledBurn: ") || !strings.Contains(out, "--- PASS: TestProfiledBurn") {
		t.Errorf("the child does not pass saying why it has no profile:\n%s", out)
	}
	var files []string
	for _, ext := range []string{".svg", ".pb.gz", ".folded.txt"} {
		files = append(files, findFiles(t, filepath.Join(outdir, "_artifacts"), "TestProfiledBurn"+ext)...)
	}
	if len(files) > 0 {
		t.Errorf("files written without a profile: %q", files)
	}
}

// denyPerfEventOpen makes perf_event_open fail with EACCES in every thread
// of this process, for good, with a seccomp filter: profiling is refused
// as a kernel.perf_event_paranoid of 3 would refuse it.
func denyPerfEventOpen(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	filter := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_PERF_EVENT_OPEN},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EACCES)},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&prog))); errno != 0 {
		t.Fatalf("seccomp: %v", errno)
	}
}
