package samplertest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// Announced counts the processes a sampler announces to OnNewProcess,
// with their process groups as read then (-1 when the process had exited).
type Announced struct {
	mu    sync.Mutex
	pids  map[uint32]int
	group map[uint32]int
}

// Count sets cfg.OnNewProcess to count the announcements.
func (a *Announced) Count(cfg *sampler.Config) {
	a.pids, a.group = map[uint32]int{}, map[uint32]int{}
	cfg.OnNewProcess = func(pid uint32) {
		g := processGroup(pid)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.pids[pid]++
		a.group[pid] = g
	}
}

// InGroup returns the announcements of processes of process group pgrp,
// or of unknown group.
func (a *Announced) InGroup(pgrp int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for pid, k := range a.pids {
		if g := a.group[pid]; g == pgrp || g == -1 {
			n += k
		}
	}
	return n
}

// Of returns how many times pid was announced.
func (a *Announced) Of(pid uint32) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pids[pid]
}

// processGroup returns the process group of pid, or -1 when it is gone.
func processGroup(pid uint32) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 3 {
		return -1
	}
	g, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return g
}

// ChurnAnnouncesFew runs a churn of /bin/true for a second beside a busy
// program, under the sampler start starts with cfg (system-wide, 999 Hz):
// the busy program must be announced, and the short-lived processes,
// hundreds of them sampled, hardly ever (they exit before a snapshot of
// them could be of use). A loaded machine starts fewer (80 in a second in
// a CI run, a few hundred when quiet): forty are enough to tell.
func ChurnAnnouncesFew(t *testing.T, start func(cfg sampler.Config) sampler.Sampler) {
	var a Announced
	cfg := CPUClock(999)
	a.Count(&cfg)
	s := start(cfg)
	busy := Start(t, BuildC(t, "split"))
	churn := StartChurn(t)
	time.Sleep(time.Second)
	n := churn.Stop(t)
	samples, _ := DrainAll(t, s)
	var trues uint64
	for _, rs := range samples {
		if rs.Comm == "true" {
			trues += rs.Count
		}
	}
	time.Sleep(100 * time.Millisecond) // the last batch of announcements
	total, ofBusy := a.InGroup(churn.PID()), a.Of(uint32(busy.Process.Pid))
	t.Logf("%d processes started, %d samples of them, %d announcements of them, %d of the busy program", n, trues, total, ofBusy)
	if n < 40 || trues < 20 {
		t.Fatalf("%d processes started, %d samples of /bin/true: the churn did not run", n, trues)
	}
	if ofBusy != 1 {
		t.Errorf("the busy program was announced %d times, want once", ofBusy)
	}
	if total > n/4 {
		t.Errorf("%d announcements for %d short-lived processes: want at most a quarter", total, n)
	}
}
