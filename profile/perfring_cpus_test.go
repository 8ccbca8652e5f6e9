package profile

import (
	"os"
	"slices"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string][]int{
		"0":         {0},
		"0-3":       {0, 1, 2, 3},
		"0-1,4,6-7": {0, 1, 4, 6, 7},
	} {
		if got, err := parseCPUList(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "3-1", "1-", "-1", "0,,1", "0-99999999"} {
		if got, err := parseCPUList(in); err == nil {
			t.Errorf("%q: %v, want an error", in, got)
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		f.Add(string(b[:len(b)-1]))
	}
	f.Add("0-1,4,6-7")
	f.Fuzz(func(t *testing.T, s string) {
		cpus, err := parseCPUList(s)
		if err == nil && len(cpus) == 0 {
			t.Fatalf("%q: no CPUs and no error", s)
		}
	})
}

// TestPerfRingRescan hides a thread from the backend, as if it had been
// created while the events were being opened, and checks that two rescans
// find it, attach it and count it.
func TestPerfRingRescan(t *testing.T) {
	testenv.RequireSelfProfiling(t)
	cfg := cpuClock(99)
	cfg.PIDs = []uint32{uint32(os.Getpid())}
	cfg.UserOnly = true
	s, err := startPerfRing(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	pr := s.(*perfRing)
	pr.mu.Lock()
	hidden := uint32(os.Getpid())
	delete(pr.opened, hidden)
	events := len(pr.events)
	pr.readRings() // FORK records of threads started meanwhile
	pr.rescan()
	first := len(pr.events)
	pr.readRings()
	pr.rescan()
	pr.mu.Unlock()
	_, st := drainAll(t, s)
	if first != events || len(pr.events) != events+len(pr.cpus) || !pr.opened[hidden] || st.Failures[failLateThread] != 1 {
		t.Errorf("events %d → %d → %d, late threads %d: want the thread attached on the second scan, on each of %d CPUs, counted once",
			events, first, len(pr.events), st.Failures[failLateThread], len(pr.cpus))
	}
}
