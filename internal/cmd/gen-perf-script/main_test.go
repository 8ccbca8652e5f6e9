package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestRun checks that the sample count may come before or after the flags
// and that the flags reach the generator.
func TestRun(t *testing.T) {
	var a, b, stderr bytes.Buffer
	if err := run([]string{"20", "--seed", "4", "--pid-tid", "--event", "task-clock"}, &a, &stderr); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"--seed", "4", "--pid-tid", "--event", "task-clock", "20"}, &b, &stderr); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("the count's place among the flags changed the output")
	}
	if got := strings.Count(a.String(), " task-clock: \n"); got != 20 {
		t.Errorf("%d task-clock headers, want 20", got)
	}
	if !strings.Contains(a.String(), "/") {
		t.Error("no PID/TID header")
	}
}

// TestRunErrors checks the arguments the command refuses.
func TestRunErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"x"}, {"-5"}, {"10", "11"}, {"10", "--cpus", "-1"}, {"--nope", "1"}} {
		var out, errOut bytes.Buffer
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
