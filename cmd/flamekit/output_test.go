package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestFailureLeavesNoFile renders, diffs and collapses inputs that fail:
// each exits 1, says why once, and leaves no output file, not even a
// temporary one.
func TestFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "empty.folded"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "garbage"), []byte("\x00\x01\x02 not a profile"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "empty.folded", "-o", "out.svg"}, "no stack counts"},
		{[]string{"diff", "empty.folded", "empty.folded", "-o", "out.svg"}, "no stack counts"},
		{[]string{"render", "garbage", "-o", "out.svg"}, "format"},
		{[]string{"diff", "--folded", "garbage", "empty.folded", "-o", "out.folded"}, "format"},
		{[]string{"collapse", "garbage", "-o", "out.folded"}, "format"},
		{[]string{"render", "nosuch.folded", "-o", "out.svg"}, "no such file"},
	} {
		r := runCLI(t, dir, "", tc.args...)
		r.wantFailure(t, strings.Join(tc.args, " "), 1, tc.want)
		wantFiles(t, strings.Join(tc.args, " "), dir, "empty.folded", "garbage")
	}
}

// TestOutputCheckedFirst gives outputs that cannot be written: the command
// fails at once, before reading its input (stdin never ends here).
func TestOutputCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "-o", "/nodir/x.svg"}, "no such directory /nodir"},
		{[]string{"collapse", "-o", "/nodir/x.folded"}, "no such directory /nodir"},
		{[]string{"diff", "a", "-", "-o", "/nodir/x.svg"}, "no such directory /nodir"},
		{[]string{"render", "-o", dir}, "is a directory"},
	} {
		cmd := exec.Command(flamekitBinary(t), tc.args...)
		// A pipe that is never written or closed: reading stdin would hang.
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = pr
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		r := cliRun(t, cmd, &out, &errb)
		pr.Close()
		pw.Close()
		r.wantFailure(t, strings.Join(tc.args, " "), 1, tc.want)
	}
	wantFiles(t, "-o DIR", dir)
}

// TestOutputReplacesWhole writes over an existing file and through a
// symbolic link: the link stays a link to the new content, the file keeps
// its mode, and the mode of a new file follows the umask as with any other
// program.
func TestOutputReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.folded")
	os.WriteFile(in, []byte("main;work 3\n"), 0o644)
	target := filepath.Join(dir, "target.folded")
	os.WriteFile(target, []byte(strings.Repeat("old content\n", 1000)), 0o600)
	os.Chmod(target, 0o640) // not what the umask gives
	link := filepath.Join(dir, "link.folded")
	if err := os.Symlink("target.folded", link); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, "", "collapse", in, "-o", link); r.code != 0 {
		t.Fatalf("collapse -o link: exit %d: %q", r.code, r.stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(target); string(b) != "main;work 3\n" {
		t.Errorf("target holds %q", b)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("the replaced file's mode: %v %v, want 0640", fi.Mode().Perm(), err)
	}
	// Reading and writing the same file works: the input is read whole
	// before the output replaces it.
	if r := runCLI(t, dir, "", "collapse", in, "-o", in); r.code != 0 {
		t.Fatalf("collapse in -o in: exit %d: %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(in); string(b) != "main;work 3\n" {
		t.Errorf("in place: %q", b)
	}
	// A device is written in place, not replaced.
	if r := runCLI(t, dir, "", "collapse", in, "-o", "/dev/null"); r.code != 0 {
		t.Fatalf("-o /dev/null: exit %d: %q", r.code, r.stderr)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", fi, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "new.folded")); err == nil {
		t.Fatalf("unexpected %v", fi)
	}
	runCLI(t, dir, "", "collapse", in, "-o", "new.folded")
	fi, err := os.Stat(filepath.Join(dir, "new.folded"))
	if err != nil {
		t.Fatal(err)
	}
	if want := os.FileMode(0o666) &^ umask(t); fi.Mode().Perm() != want {
		t.Errorf("new file mode %v, want %v", fi.Mode().Perm(), want)
	}
	wantFiles(t, "after the writes", dir, "in.folded", "link.folded", "new.folded", "target.folded")
}

// TestStdoutWriteErrors writes to a full device and to a pipe nobody
// reads: every command that writes exits non-zero.
func TestStdoutWriteErrors(t *testing.T) {
	testenv.RequireFile(t, "/dev/full", "Linux's full device")
	bin, hot := buildSymwork(t)
	dir := t.TempDir()
	folded := filepath.Join(dir, "in.folded")
	os.WriteFile(folded, []byte(strings.Repeat("main;parse;lex 5\nmain;render;draw 7\n", 2000)), 0o644)
	hotAddr := "0x" + strconv.FormatUint(hot, 16)
	for _, args := range [][]string{
		{"render", folded},
		{"collapse", folded},
		{"collapse", realCapture(t)},
		{"diff", "--folded", folded, folded},
		{"diff", folded, folded},
		{"symbolize", "-e", bin, hotAddr},
	} {
		what := strings.Join(args, " ") + " > /dev/full"
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(flamekitBinary(t), args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &errb
		r := cliRun(t, cmd, &out, &errb)
		full.Close()
		r.wantFailure(t, what, 1, "no space left on device")

		// A closed pipe: killed by SIGPIPE, as cat is (a shell says 141).
		// Go's runtime does this on fd 1 even when SIGPIPE was ignored.
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		pr.Close()
		cmd = exec.Command(flamekitBinary(t), args...)
		errb.Reset()
		cmd.Stdout, cmd.Stderr = pw, &errb
		r = cliRun(t, cmd, &out, &errb)
		pw.Close()
		if r.code != 128+int(syscall.SIGPIPE) {
			t.Errorf("%s | (closed): exit status %d, want %d (SIGPIPE); stderr %q", strings.Join(args, " "), r.code, 128+int(syscall.SIGPIPE), r.stderr)
		}
	}
}

// umask returns this process's umask, which the binary inherits.
func umask(t *testing.T) os.FileMode {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return os.FileMode(m)
		}
	}
	t.Fatal("no Umask in /proc/self/status")
	return 0
}
