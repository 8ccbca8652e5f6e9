package profile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile"
)

// TestProfileOutlivesSession uses a profile of Go code after its session
// closed: Close releases the session's symbolizer, whose tables (a Go
// binary's pclntab is mapped from the file) the names must not point into.
// Without root it runs on the perf backend, as self-profiling allows.
func TestProfileOutlivesSession(t *testing.T) {
	opts := profile.Options{Self: true, Frequency: 999, UserOnly: true}
	s, err := profile.Start(context.Background(), opts)
	if err != nil {
		testenv.SkipOrFail(t, "cannot profile this process: %v", err)
	}
	exampleBusyLoop(500 * time.Millisecond)
	p, err := s.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	found := false
	var names strings.Builder
	for _, sm := range p.Samples {
		for _, l := range sm.User {
			for _, f := range l.Frames {
				names.WriteString(f.Function) // reads every name's bytes
				names.WriteString(f.File)
				found = found || f.Function == "github.com/flamekit/flamekit/profile_test.exampleBusyLoop"
			}
		}
	}
	if !found {
		t.Errorf("no frame of exampleBusyLoop in %d samples (%d bytes of names)", p.Total(), names.Len())
	}
	var folded strings.Builder
	p.Folded(profile.FoldOptions{}).WriteTo(&folded)
	if !strings.Contains(folded.String(), "exampleBusyLoop") {
		t.Errorf("folded stacks without exampleBusyLoop:\n%s", folded.String())
	}
}
