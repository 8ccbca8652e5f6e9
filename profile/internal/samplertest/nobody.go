package samplertest

import (
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// RunAsNobody runs one test of a copy of this test binary as the user
// nobody, with the environment variable env set to 1, and returns its
// output. The test it runs skips unless env is set.
func RunAsNobody(tb testing.TB, test, env string) []byte {
	tb.Helper()
	return RunAsNobodyWith(tb, test, env)
}

// RunAsNobodyWith is RunAsNobody with these capabilities kept (ambient:
// the child has them in its effective set), such as CAP_PERFMON: a user
// who is not root but was granted what profiling needs.
func RunAsNobodyWith(tb testing.TB, test, env string, caps ...uintptr) []byte {
	tb.Helper()
	nobody, err := user.Lookup("nobody")
	if err != nil {
		tb.Fatal(err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	dir, err := os.MkdirTemp("", "flamekit-nobody-") // t.TempDir's parent is private
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	bin := CopyTestBinary(tb, dir)
	cmd := exec.Command(bin, "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, AmbientCaps: caps}
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("child as nobody: %v\n%s", err, out)
	}
	return out
}

// CopyTestBinary copies the running test binary into dir, executable by
// all, and returns the copy's path.
func CopyTestBinary(tb testing.TB, dir string) string {
	tb.Helper()
	to := filepath.Join(dir, filepath.Base(os.Args[0]))
	src, err := os.Open(os.Args[0])
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		tb.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		tb.Fatal(err)
	}
	return to
}
