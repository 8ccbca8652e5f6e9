package profile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/symbolize"
)

// snapshot takes a snapshot of a new (or exec'd) process's address space
// while it lives, so it can be symbolized after it exits. Backends call it
// from their goroutines.
func (s *Session) snapshot(pid uint32) {
	snap, err := symbolize.SnapshotProcess(int(pid))
	if err != nil {
		s.log.Debug("profile: snapshot", "pid", pid, "err", err)
		return
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	if s.procs == nil { // closed
		snap.Close()
		return
	}
	if old := s.procs[int(pid)]; old != nil {
		old.Close()
	}
	s.procs[int(pid)] = snap
	s.follow.add(snap)
}

// exited lets the snapshot of a process that exited read its JIT sources a
// last time and release what it needs no more.
func (s *Session) exited(pid uint32) {
	s.procMu.Lock()
	snap := s.procs[int(pid)]
	s.procMu.Unlock()
	if snap != nil {
		snap.Exited()
	}
}

// process returns the snapshot of pid, taking it now if the backend did not
// announce the process (it may still be running).
func (s *Session) process(pid int) *symbolize.Process {
	s.procMu.Lock()
	snap := s.procs[pid]
	s.procMu.Unlock()
	if snap == nil {
		s.snapshot(uint32(pid))
		s.procMu.Lock()
		snap = s.procs[pid]
		s.procMu.Unlock()
	}
	return snap
}

// forgetExited closes the snapshots of processes that were already gone at
// the previous collection: samples a backend still held for them then have
// been named by now. s.mu is held, so that no drain cuts stacks with the
// snapshots it closes.
func (s *Session) forgetExited() {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	for pid, snap := range s.procs {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !os.IsNotExist(err) {
			delete(s.gone, pid)
			continue
		}
		if s.gone[pid] {
			snap.Close()
			delete(s.procs, pid)
			delete(s.gone, pid)
		} else {
			s.gone[pid] = true
		}
	}
}

// processExists fails with ErrNoProcess when process pid does not exist.
func processExists(pid uint32) error {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	if errors.Is(err, fs.ErrNotExist) {
		return sampler.NoProcess(pid, err)
	}
	if err != nil {
		return fmt.Errorf("process %d: %w", pid, err)
	}
	return nil
}
