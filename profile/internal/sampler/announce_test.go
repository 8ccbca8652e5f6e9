package sampler

import (
	"slices"
	"testing"
)

// TestAnnouncer feeds batches of events and checks what is announced: a
// process once it has run for a batch, not one that exited meanwhile, one
// that exec'd after a wait of its own, and every exit.
func TestAnnouncer(t *testing.T) {
	var started, exited []uint32
	a := NewAnnouncer(Config{
		OnNewProcess:  func(pid uint32) { started = append(started, pid) },
		OnProcessExit: func(pid uint32) { exited = append(exited, pid) },
	})
	a.Batch([]uint32{1, 2, 3, 2}, []uint32{3})
	check(t, "batch 1", started, nil, exited, []uint32{3})
	started, exited = nil, nil
	a.Batch([]uint32{4}, []uint32{2})
	check(t, "batch 2", started, []uint32{1}, exited, []uint32{2})
	started, exited = nil, nil
	a.Batch([]uint32{1}, nil)
	check(t, "batch 3", started, []uint32{4}, exited, nil)
	started, exited = nil, nil
	a.Batch(nil, nil)
	check(t, "batch 4", started, []uint32{1}, exited, nil)
	started, exited = nil, nil
	a.Batch(nil, []uint32{1, 4})
	check(t, "batch 5", started, nil, exited, []uint32{1, 4})
}

func check(t *testing.T, step string, started, wantStarted, exited, wantExited []uint32) {
	t.Helper()
	if !slices.Equal(started, wantStarted) || !slices.Equal(exited, wantExited) {
		t.Errorf("%s: announced %v and exits %v, want %v and %v", step, started, exited, wantStarted, wantExited)
	}
}
