package profile

import (
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/symbolize"
)

// clockMonotonic reads CLOCK_MONOTONIC, the clock of sample times.
func clockMonotonic() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail for this clock
	return uint64(ts.Nano())
}

// collect drains the backend and builds a symbolized Profile. s.mu is held.
func (s *Session) collect() (*Profile, error) {
	now, mono := time.Now(), clockMonotonic()
	p := &Profile{
		Event: s.event, Frequency: s.cfg.Frequency, Period: s.cfg.Period,
		Start: s.last, Duration: now.Sub(s.last), Backend: s.backend,
		Failures: map[string]uint64{},
	}
	var raws []rawSample
	st, err := s.s.drain(func(r rawSample) { raws = append(raws, r) })
	if err != nil {
		return nil, fmt.Errorf("profile: collecting: %w", err)
	}
	p.Lost = st.Lost
	maps.Copy(p.Failures, st.Failures)
	b := profileBuilder{s: s, p: p, index: map[string]int{}, startMono: s.lastMono}
	for _, r := range raws {
		b.add(r)
	}
	b.symbolize()
	s.last, s.lastMono = now, mono
	s.forgetExited()
	return p, nil
}

// profileBuilder merges raw samples into a Profile and names their
// addresses.
type profileBuilder struct {
	s         *Session
	p         *Profile
	index     map[string]int // stack key → index in p.Samples
	key       []byte
	startMono uint64
	// refs lists, per address to name, where its Location is.
	refs map[addrKey][]*Location
}

// addrKey is an address to name: in a process (pid), or in the kernel
// (pid -1). Return addresses (not the leaf) are looked up one byte earlier,
// inside the call, so the call's line and inlining are the ones shown.
type addrKey struct {
	pid  int
	addr uint64
	leaf bool
}

// add merges one raw sample. Timed samples (Time set) are a log on top of
// the aggregated counts: they add a TimedSample and no count.
func (b *profileBuilder) add(r rawSample) {
	tid := uint32(0)
	if b.s.cfg.PerThread {
		tid = r.TID
	}
	k := binary.LittleEndian.AppendUint32(b.key[:0], r.PID)
	k = binary.LittleEndian.AppendUint32(k, tid)
	k = binary.LittleEndian.AppendUint32(k, uint32(len(r.User)))
	for _, pc := range r.User {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	for _, pc := range r.Kernel {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	b.key = k
	i, ok := b.index[string(k)]
	if !ok {
		i = len(b.p.Samples)
		b.index[string(k)] = i
		b.p.Samples = append(b.p.Samples, Sample{
			PID: int(r.PID), TID: int(tid), Comm: r.Comm,
			User: b.stack(int(r.PID), r.User), Kernel: b.stack(-1, r.Kernel),
		})
	}
	sm := &b.p.Samples[i]
	if sm.Comm == "" {
		sm.Comm = r.Comm
	}
	if r.Time == 0 {
		sm.Count += r.Count
		sm.Value += r.Value
		return
	}
	var at time.Duration
	if r.Time > b.startMono {
		at = time.Duration(r.Time - b.startMono)
	}
	b.p.Timed = append(b.p.Timed, TimedSample{Time: at, CPU: int(r.CPU), PID: int(r.PID), TID: int(r.TID), Sample: i, Value: r.Value})
}

// stack makes the Locations of a stack and notes their addresses to name.
func (b *profileBuilder) stack(pid int, pcs []uint64) []Location {
	if len(pcs) == 0 {
		return nil
	}
	if b.refs == nil {
		b.refs = map[addrKey][]*Location{}
	}
	locs := make([]Location, len(pcs))
	for i, pc := range pcs {
		locs[i].Address = pc
		k := addrKey{pid, pc, i == 0}
		b.refs[k] = append(b.refs[k], &locs[i])
	}
	return locs
}

// symbolize names every address noted, per process and for the kernel.
func (b *profileBuilder) symbolize() {
	byPID := map[int][]addrKey{}
	for k := range b.refs {
		byPID[k.pid] = append(byPID[k.pid], k)
	}
	opts := symbolize.LookupOptions{Lines: !b.s.opts.SkipLines}
	for pid, keys := range byPID {
		addrs := make([]uint64, len(keys))
		for i, k := range keys {
			addrs[i] = k.addr
			if !k.leaf && k.addr > 0 {
				addrs[i]--
			}
		}
		var frames [][]symbolize.Frame
		var err error
		if pid == -1 {
			frames, err = b.s.sym.Kernel(addrs, opts)
			if err != nil {
				b.p.Failures["kernel-symbols-unavailable"] += uint64(len(addrs))
			}
		} else if snap := b.s.process(pid); snap != nil {
			frames, err = b.s.sym.Process(snap, addrs, opts)
		}
		if err != nil {
			b.s.log.Debug("profile: symbolize", "pid", pid, "err", err)
		}
		for i, k := range keys {
			f := []symbolize.Frame{{Offset: k.addr}}
			if pid == -1 {
				f[0].Module.Path = symbolize.KernelPath
			}
			if i < len(frames) && len(frames[i]) > 0 {
				f = frames[i]
			}
			for _, loc := range b.refs[k] {
				loc.Frames = f
			}
		}
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
// been named by now.
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
