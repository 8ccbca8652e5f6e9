package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// InCI reports whether the CI environment variable is set, under which
// tests must run rather than skip.
func InCI() bool { return os.Getenv("CI") != "" }

// SkipOrFail skips tb with the reason, or fails it with the same reason when
// CI is set.
func SkipOrFail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		tb.Fatalf("%s (CI is set, so the test may not skip)", msg)
		return
	}
	tb.Skip(msg)
}

// RequireRoot skips or fails tb unless it runs as root, which recording
// with eBPF, reading other processes' memory maps and kernel addresses need.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		SkipOrFail(tb, "this test needs root")
	}
}

// RequireTool returns the path of the named program, or skips or fails tb
// when it is not on the PATH. hint says how to install it ("apt-get install
// linux-perf"); empty means the program's own name is the package.
func RequireTool(tb testing.TB, name, hint string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if hint == "" {
			hint = "apt-get install " + name
		}
		SkipOrFail(tb, "%s is not installed (%s)", name, hint)
	}
	return p
}

// RequireFile skips or fails tb unless path exists; hint says how to get it.
func RequireFile(tb testing.TB, path, hint string) {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		SkipOrFail(tb, "%s is missing (%s): %v", path, hint, err)
	}
}

// RequireSelfProfiling skips or fails tb unless this process may open
// perf events on itself: root, or kernel.perf_event_paranoid at most 2.
func RequireSelfProfiling(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	p, err := Paranoid()
	if err == nil && p <= 2 {
		return
	}
	SkipOrFail(tb, "self-profiling needs root or kernel.perf_event_paranoid ≤ 2 (paranoid %d, %v)", p, err)
}

// Paranoid returns kernel.perf_event_paranoid.
func Paranoid() (int, error) {
	b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Chromium returns the path of a Chromium or Chrome binary ($CHROMIUM,
// else the first of chromium, chromium-browser, google-chrome and chrome
// on the PATH), or skips or fails tb when there is none.
func Chromium(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	SkipOrFail(tb, "no Chromium found (apt-get install chromium, or set CHROMIUM)")
	return ""
}

// BuildC compiles the C (or C++, or assembly) sources with the compiler
// (gcc, g++, clang) and the flags given, into a binary named out in a
// temporary directory of tb's, and returns its path. It skips or fails tb
// when the compiler is missing, and fails it when compiling fails.
func BuildC(tb testing.TB, compiler, out string, srcs []string, flags ...string) string {
	tb.Helper()
	cc := RequireTool(tb, compiler, "")
	bin := filepath.Join(tb.TempDir(), out)
	args := append(append([]string{"-o", bin}, flags...), srcs...)
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		tb.Fatalf("%s %s: %v\n%s", compiler, strings.Join(args, " "), err, b)
	}
	return bin
}

// WriteSource writes src to a file named name in a temporary directory of
// tb's and returns its path, for BuildC.
func WriteSource(tb testing.TB, name, src string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}
