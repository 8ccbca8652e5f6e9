package testenv

import (
	"os"
	"testing"
)

// OpenFDs counts this process's open file descriptors, for tests that
// check that what they open is closed again.
func OpenFDs(tb testing.TB) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	return len(ents)
}
