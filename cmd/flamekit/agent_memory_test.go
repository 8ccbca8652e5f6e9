package main

import (
	"runtime/debug"
	"testing"
)

// TestAgentMemoryLimit checks the agent's soft memory limit: --memory-limit
// plus the bytes its queues hold (so that a full queue while a backend is
// down does not keep the collector running), left alone with 0 or when
// GOMEMLIMIT is set.
func TestAgentMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	f, err := parseAgentFlags([]string{"--out", t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.memoryLimit != 32<<20 {
		t.Errorf("--memory-limit defaults to %d, want 32 MiB", f.memoryLimit)
	}
	t.Setenv("GOMEMLIMIT", "")
	setAgentMemoryLimit(f.memoryLimit, 5<<20)
	if got := debug.SetMemoryLimit(-1); got != 37<<20 {
		t.Errorf("limit %d with 5 MiB queued, want %d", got, 37<<20)
	}
	setAgentMemoryLimit(0, 5<<20)
	if got := debug.SetMemoryLimit(-1); got != 37<<20 {
		t.Errorf("--memory-limit 0 changed the limit to %d", got)
	}
	t.Setenv("GOMEMLIMIT", "100MiB")
	setAgentMemoryLimit(f.memoryLimit, 0)
	if got := debug.SetMemoryLimit(-1); got != 37<<20 {
		t.Errorf("with GOMEMLIMIT set, the limit changed to %d", got)
	}
}
