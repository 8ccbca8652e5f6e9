package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestRecordCommand records a C program given after "--", in each output
// format the extension picks.
func TestRecordCommand(t *testing.T) {
	testenv.RequireRoot(t)
	bin, _ := buildSymwork(t) // runs symwork_hot briefly
	loop := filepath.Join(t.TempDir(), "loop.sh")
	os.WriteFile(loop, []byte("#!/bin/sh\ni=0\nwhile [ $i -lt 400 ]; do \""+bin+"\"; i=$((i+1)); done\n"), 0o755)
	dir := t.TempDir()
	for _, out := range []string{"cpu.folded", "cpu.svg", "cpu.pb.gz"} {
		path := filepath.Join(dir, out)
		code, _, stderr := flamekit(t, "", "record", "-F", "999", "-o", path, "--", loop)
		if code != 0 {
			t.Fatalf("record -o %s: exit %d: %s", out, code, stderr)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(out, ".folded"):
			if !strings.Contains(string(b), "symwork;") || !strings.Contains(string(b), "loop.sh;") {
				t.Errorf("folded output lacks the command's children:\n%.2000s", b)
			}
		case strings.HasSuffix(out, ".svg"):
			checkSVG(t, b)
			if !strings.Contains(string(b), "symwork") {
				t.Error("flame graph lacks symwork")
			}
		default:
			if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
				t.Error("pprof output is not gzipped")
			}
		}
	}
}

// TestRecordSignals stops a system-wide recording with SIGTERM and with the
// SIGINT a background shell leaves ignored; the output is written anyway.
func TestRecordSignals(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	bin := flamekitBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		out := filepath.Join(dir, sig.String()+".folded")
		// sh -c '... &' starts it with SIGINT ignored, as a background job.
		cmd := exec.Command("sh", "-c", `"$0" record -a -d 60s -o "$1" & echo $!; wait`, bin, out)
		stdout, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var pid int
		buf := make([]byte, 32)
		n, _ := stdout.Read(buf)
		if _, err := fmt.Sscan(strings.TrimSpace(string(buf[:n])), &pid); err != nil {
			t.Fatalf("no pid: %q", buf[:n])
		}
		// Signal once it samples (a perf event is open) and has had a
		// second of this busy process to sample: idle CPUs give no
		// samples, and a recording without any writes nothing, which is
		// another test's case.
		waitSampling(t, pid)
		spin(time.Second)
		syscall.Kill(pid, sig)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v did not stop the recording", sig)
		}
		b, err := os.ReadFile(out)
		if err != nil || len(b) == 0 {
			t.Errorf("%v: no output written: %v\n%s", sig, err, stderr.String())
		}
	}
}

// spin keeps a CPU busy for d.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

// waitSampling waits up to 30 s for process pid to hold a perf event open.
func waitSampling(t *testing.T, pid int) {
	t.Helper()
	fds := fmt.Sprintf("/proc/%d/fd", pid)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		entries, _ := os.ReadDir(fds)
		for _, e := range entries {
			if target, _ := os.Readlink(filepath.Join(fds, e.Name())); target == "anon_inode:[perf_event]" {
				return
			}
		}
	}
	t.Fatalf("process %d opened no perf event in 30 s", pid)
}

// TestRecordSignalsCommand sends SIGTERM to a recording of a command: the
// command gets it, the recording ends when it exits, the profile is
// written, and record exits as the command did (143).
func TestRecordSignalsCommand(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "cmd.folded")
	cmd := exec.Command(flamekitBinary(t), "record", "-o", out, "--", "sh", "-c", "while :; do :; done")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// record starts the command once sampling runs (an eBPF start can
	// take seconds on a loaded machine): signal it after the command has
	// run a while.
	if !waitCommandCPU(cmd.Process.Pid, 500*time.Millisecond) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the command record started (pid %d) did not use 500ms of CPU within a minute; stderr %q", cmd.Process.Pid, stderr.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer timer.Stop()
	cmd.Wait()
	if code := commandStatus(cmd.ProcessState); code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit status %d, want 143; stderr %q", code, stderr.String())
	}
	if b, err := os.ReadFile(out); err != nil || !strings.Contains(string(b), "sh") {
		t.Errorf("no profile of sh written: %v\n%.500s", err, b)
	}
}

// TestRecordChecksFirst gives record an output it cannot write, an
// extension it does not know and a command that does not exist: each fails
// at once, before sampling, and leaves no file.
func TestRecordChecksFirst(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"record", "-d", "30s", "-o", "/nodir/x.svg"}, 1, []string{"no such directory /nodir"}},
		{[]string{"record", "-d", "30s", "-o", "x.unknownext"}, 2, []string{"x.unknownext", ".svg", ".folded", ".pb.gz", "--format"}},
		{[]string{"record", "-d", "30s", "-o", "x"}, 2, []string{"unknown extension"}},
		{[]string{"record", "-d", "30s", "--unwind", "lbr", "-o", "x.svg"}, 2, []string{`unknown unwinding "lbr"`, "auto, fp or cfi"}},
		{[]string{"record", "-o", "x.folded", "--", "flamekit-no-such-command"}, 1, []string{"flamekit-no-such-command", "not found"}},
	} {
		what := strings.Join(tc.args, " ")
		start := time.Now()
		r := runCLI(t, dir, "", tc.args...)
		// A generous bound, far below -d: no recording happened.
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v: it recorded before failing", what, d)
		}
		r.wantFailure(t, what, tc.code, tc.want...)
		wantFiles(t, what, dir)
	}
}

// TestRecordCommandStatus records commands that fail: record exits with
// the command's status (128+N for a signal), and the profile is written.
func TestRecordCommandStatus(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	const busy = `i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; `
	for _, tc := range []struct {
		script string
		code   int
	}{
		{busy + "exit 3", 3},
		{busy + "kill -TERM $$", 128 + int(syscall.SIGTERM)},
	} {
		out := filepath.Join(dir, "cmd.folded")
		r := runCLI(t, dir, "", "record", "-F", "999", "-o", out, "--", "sh", "-c", tc.script)
		if r.code != tc.code {
			t.Errorf("record -- sh -c %q: exit status %d, want %d; stderr %q", tc.script, r.code, tc.code, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("record -- sh -c %q: no profile: %v", tc.script, err)
		}
		if !strings.HasPrefix(string(b), "sh;") && !strings.Contains(string(b), "\nsh;") {
			t.Errorf("record -- sh -c %q: the profile has no stacks of sh:\n%.1000s", tc.script, b)
		}
		os.Remove(out)
	}
}

// TestRecordNoTarget records a process that does not exist and one that
// sleeps, on each backend: the first fails at once, the second says it
// produced no samples, both exit 1 and leave no file, unless --keep-empty
// asks for the empty profile.
func TestRecordNoTarget(t *testing.T) {
	testenv.RequireRoot(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := strconv.Itoa(gone.Process.Pid)
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	idle := strconv.Itoa(sleeper.Process.Pid)
	dir := t.TempDir()
	for _, backend := range []string{"bpf", "perf"} {
		args := []string{"record", "--backend", backend, "-p", dead, "-d", "30s", "-o", "dead.svg"}
		start := time.Now()
		r := runCLI(t, dir, "", args...)
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%v: took %v: it recorded a process that does not exist", args, d)
		}
		r.wantFailure(t, strings.Join(args, " "), 1, dead)
		wantFiles(t, strings.Join(args, " "), dir)

		args = []string{"record", "--backend", backend, "-p", idle, "-d", "1s", "-o", "idle.svg"}
		r = runCLI(t, dir, "", args...)
		r.wantFailure(t, strings.Join(args, " "), 1, "no samples", "process "+idle, backend+" backend")
		wantFiles(t, strings.Join(args, " "), dir)
		// On stdout nothing either.
		r = runCLI(t, dir, "", args[:len(args)-2]...)
		r.wantFailure(t, "on stdout", 1, "no samples")
		if r.stdout != "" {
			t.Errorf("no samples on stdout: wrote %d bytes", len(r.stdout))
		}

		args = append(args, "--keep-empty")
		if r = runCLI(t, dir, "", args...); r.code != 0 {
			t.Errorf("%v: exit status %d, stderr %q", args, r.code, r.stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "idle.svg"))
		if err != nil {
			t.Fatalf("--keep-empty wrote nothing: %v", err)
		}
		checkSVG(t, b)
		os.Remove(filepath.Join(dir, "idle.svg"))
	}
}

// waitCommandCPU waits until a child of process pid (the command record
// started) has used d of CPU time, for up to a minute, and says whether one
// did.
func waitCommandCPU(pid int, d time.Duration) bool {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		// Each thread lists the children it forked.
		files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
		var children []string
		for _, f := range files {
			b, _ := os.ReadFile(f)
			children = append(children, strings.Fields(string(b))...)
		}
		for _, child := range children {
			stat, err := os.ReadFile("/proc/" + child + "/stat")
			if err != nil {
				continue
			}
			// utime and stime are fields 14 and 15, after the ") " that
			// ends the command name.
			f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(f) > 12 {
				ut, _ := strconv.Atoi(f[11])
				st, _ := strconv.Atoi(f[12])
				if time.Duration(ut+st)*10*time.Millisecond >= d {
					return true
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
