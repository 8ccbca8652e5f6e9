package profile_test

import (
	"maps"
	"testing"
	"time"

	"github.com/flamekit/flamekit/profile"
)

// TestMerge merges three collections of a recording, the second one
// later than the third: samples in order, timed samples re-based on the
// first's start and pointing at their own stacks, losses and failures
// summed once each, and the time from the first start to the last end.
func TestMerge(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	first := &profile.Profile{
		Start: t0, Duration: time.Second, Backend: profile.BackendBPF,
		Samples: []profile.Sample{{PID: 1, Count: 2}},
		Timed:   []profile.TimedSample{{Time: 100 * time.Millisecond, PID: 1}},
		Lost:    3, LostValue: 30,
		Failures: map[string]uint64{profile.FailureRingFull: 3},
	}
	second := &profile.Profile{
		Start: t0.Add(2 * time.Second), Duration: time.Second,
		Samples: []profile.Sample{{PID: 2, Count: 1}, {PID: 3, Count: 1}},
		Timed:   []profile.TimedSample{{Time: 500 * time.Millisecond, PID: 3, Sample: 1}},
		Lost:    1, LostValue: 10,
		Failures: map[string]uint64{profile.FailureRingFull: 1, profile.FailureUserStackFull: 2},
	}
	third := &profile.Profile{
		Start: t0.Add(time.Second), Duration: time.Second,
		Samples: []profile.Sample{{PID: 4, Count: 5}},
	}
	got := profile.Merge(first, second, third)

	if got.Lost != 4 || got.LostValue != 40 {
		t.Errorf("lost %d (value %d), want 4 (40): each collection's once", got.Lost, got.LostValue)
	}
	if want := map[string]uint64{profile.FailureRingFull: 4, profile.FailureUserStackFull: 2}; !maps.Equal(got.Failures, want) {
		t.Errorf("failures %v, want %v", got.Failures, want)
	}
	var pids []int
	for _, s := range got.Samples {
		pids = append(pids, s.PID)
	}
	if len(pids) != 4 || pids[0] != 1 || pids[1] != 2 || pids[2] != 3 || pids[3] != 4 {
		t.Errorf("samples of pids %v, want [1 2 3 4]", pids)
	}
	if len(got.Timed) != 2 {
		t.Fatalf("%d timed samples, want 2", len(got.Timed))
	}
	if ts := got.Timed[1]; ts.Time != 2500*time.Millisecond || got.Samples[ts.Sample].PID != 3 {
		t.Errorf("the second collection's timed sample is at %v, of pid %d's stack; want 2.5s, pid 3", ts.Time, got.Samples[ts.Sample].PID)
	}
	if !got.Start.Equal(t0) || got.Duration != 3*time.Second || got.Backend != profile.BackendBPF {
		t.Errorf("start %v, duration %v, backend %v; want %v, 3s, bpf", got.Start, got.Duration, got.Backend, t0)
	}
	if first.Lost != 3 || len(first.Samples) != 1 || first.Failures[profile.FailureRingFull] != 3 {
		t.Errorf("Merge changed its first profile: %+v", first)
	}
}

// TestMergeNone checks that merging nothing is an empty profile.
func TestMergeNone(t *testing.T) {
	if got := profile.Merge(); got.Total() != 0 || got.Lost != 0 || got.Failures == nil {
		t.Errorf("Merge() = %+v, want an empty profile with a Failures map", got)
	}
}
