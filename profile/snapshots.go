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
	s.procMu.Lock()
	defer s.procMu.Unlock()
	if err != nil {
		s.log.Debug("profile: snapshot", "pid", pid, "err", err)
		if s.procs != nil {
			s.unreadable[int(pid)] = true
		}
		return
	}
	if s.procs == nil { // closed
		snap.Close()
		return
	}
	delete(s.unreadable, int(pid))
	if old := s.procs[int(pid)]; old != nil {
		// An exec (or a pid reused): the samples taken before it, still
		// to be named, are in the old address space.
		snap.Inherit(old)
		old.Close()
	}
	s.procs[int(pid)] = snap
	s.addUnwind(snap)
	s.follow.add(snap)
}

// exited lets the snapshot of a process that exited read its JIT sources a
// last time and release what it needs no more. A process that exited
// before its snapshot could be taken is not tried again until the next
// collection: its samples are still to be named, and its pid may name
// another process by then.
func (s *Session) exited(pid uint32) {
	s.procMu.Lock()
	snap := s.procs[int(pid)]
	if snap == nil && s.procs != nil {
		s.unreadable[int(pid)] = true
	}
	s.procMu.Unlock()
	if snap != nil {
		snap.Exited()
	}
	s.removeUnwind(int(pid))
}

// process returns the snapshot of pid, taking it now if the backend did not
// announce the process (it may still be running), unless a snapshot of it
// failed since the last collection: most processes sampled under churn
// have exited before anyone could read them, and a drain, then the
// collection, would try each again.
func (s *Session) process(pid int) *symbolize.Process {
	s.procMu.Lock()
	snap, unreadable := s.procs[pid], s.unreadable[pid]
	s.procMu.Unlock()
	if snap == nil && !unreadable {
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
	clear(s.unreadable) // their pids may name new processes by the next collection
	for pid, snap := range s.procs {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !os.IsNotExist(err) {
			delete(s.gone, pid)
			continue
		}
		if s.gone[pid] {
			s.removeUnwind(pid)
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
