package testenv

import (
	"os"
	"testing"
)

// RequirePMU is for a test that needs a hardware performance counter and
// could not open one: err is the error opening it (wrapping
// ErrNotSupported, with its errno). The test skips with err — even under
// CI, whose machines are virtual machines without a PMU — unless
// FLAMEKIT_REQUIRE_PMU=1 is set, on a machine known to have one: then it
// fails with err.
func RequirePMU(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("FLAMEKIT_REQUIRE_PMU") == "1" {
		tb.Fatalf("no hardware counter, and FLAMEKIT_REQUIRE_PMU=1: %v", err)
	}
	tb.Skipf("no hardware counter on this machine: %v", err)
}
