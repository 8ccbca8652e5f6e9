package bpfsampler

import (
	"testing"

	"github.com/flamekit/flamekit/internal/bpf"
)

// TestFailureNames checks that every cause the program counts has a name
// of its own, but the sum of the lost periods, which is no count of
// samples.
func TestFailureNames(t *testing.T) {
	if len(failureNames) != failureCount {
		t.Fatalf("%d names for %d causes", len(failureNames), failureCount)
	}
	seen := map[string]bool{}
	for i, name := range failureNames {
		if lost := i == int(bpf.ProfileFailureFAILURE_LOST_PERIOD); (name == "") != lost || seen[name] {
			t.Errorf("cause %d: name %q (lost period: %t; already used: %t)", i, name, lost, seen[name])
		}
		seen[name] = true
	}
}
