package samplertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// Testdata returns the path of a file of profile/testdata, found from the
// test's working directory (a package directory of the module).
func Testdata(tb testing.TB, name string) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "profile", "testdata", name)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// BuildC compiles profile/testdata/NAME.c with gcc, frame pointers
// everywhere (-O0 -g -fno-omit-frame-pointer) and the extra flags, into a
// binary called name (its command name), and returns its path.
func BuildC(tb testing.TB, name string, flags ...string) string {
	tb.Helper()
	flags = append([]string{"-O0", "-g", "-fno-omit-frame-pointer"}, flags...)
	return testenv.BuildC(tb, "gcc", name, []string{Testdata(tb, name+".c")}, flags...)
}

// Start starts bin, which runs until the test ends and is then killed.
func Start(tb testing.TB, bin string, args ...string) *exec.Cmd {
	tb.Helper()
	return testenv.StartChild(tb, exec.Command(bin, args...)).Cmd
}

// DeadPID returns the PID of a process that existed and is gone: a child
// started and reaped.
func DeadPID(tb testing.TB) int {
	tb.Helper()
	cmd := exec.Command(testenv.RequireTool(tb, "true", "apt-get install coreutils"))
	if err := cmd.Run(); err != nil {
		tb.Fatal(err)
	}
	pid := cmd.Process.Pid
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); !os.IsNotExist(err) {
		tb.Fatalf("/proc/%d of a reaped child: %v", pid, err)
	}
	return pid
}
