package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestRun runs the command on libc with the binary before and after the
// flags: the same addresses either way, one truth line each.
func TestRun(t *testing.T) {
	const libc = "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, libc, "apt-get install libc6")
	truth := filepath.Join(t.TempDir(), "truth.tsv")
	var first, second, stderr bytes.Buffer
	if err := run([]string{libc, "--syms", "50", "--random", "5", "--seed", "3", "--truth", truth}, &first, &stderr); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"--syms", "50", "--random", "5", "--seed", "3", libc}, &second, &stderr); err != nil {
		t.Fatal(err)
	}
	if first.String() != second.String() {
		t.Error("the binary's place among the flags changed the output")
	}
	lines := strings.Split(strings.TrimSuffix(first.String(), "\n"), "\n")
	data, err := os.ReadFile(truth)
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 55 || len(rows) != 55 {
		t.Fatalf("%d addresses and %d truth lines, want 55", len(lines), len(rows))
	}
	random := 0
	for i, row := range rows {
		cols := strings.Split(row, "\t")
		if len(cols) < 4 || cols[0] != lines[i] {
			t.Fatalf("truth line %d %q does not start with address %q", i, row, lines[i])
		}
		if cols[1] == "-" {
			random++
		}
	}
	if random != 5 {
		t.Errorf("%d random addresses in the truth, want 5", random)
	}
	if !strings.Contains(stderr.String(), "wrote 55 addresses") {
		t.Errorf("stderr %q lacks the summary", stderr.String())
	}
}

// TestRunErrors checks the arguments the command refuses.
func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"a", "b"},
		{"--syms", "x", "bin"},
		{filepath.Join(t.TempDir(), "missing")},
		{"--syms", "-1", "/proc/self/exe"},
	} {
		var out, errOut bytes.Buffer
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
