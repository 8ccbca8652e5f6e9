package profile

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"time"
	"unique"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/symbolize"
)

// clockMonotonic reads CLOCK_MONOTONIC, the clock of sample times.
func clockMonotonic() uint64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) // cannot fail for this clock
	return uint64(ts.Nano())
}

// drainInterval is how often a session empties its backend into its
// pending aggregate, so the backend's maps and rings never fill, however
// rarely Collect is called.
const drainInterval = time.Second

// pending aggregates raw samples between collections: memory grows with the
// number of distinct stacks, not with time.
type pending struct {
	perThread bool
	index     map[string]int
	samples   []rawSample
	timed     []rawSample
	lost      uint64
	lostValue uint64
	failures  map[string]uint64
	total     uint64 // samples counted, for Stats
	key       []byte
}

func newPending(perThread bool) *pending {
	return &pending{perThread: perThread, index: map[string]int{}, failures: map[string]uint64{}}
}

// add merges a raw sample; timed ones are kept as they are.
func (a *pending) add(r rawSample) {
	if r.Time != 0 {
		a.timed = append(a.timed, r)
		return
	}
	if !a.perThread {
		r.TID = 0
	}
	a.key = stackKey(a.key[:0], r)
	if i, ok := a.index[string(a.key)]; ok {
		a.samples[i].Count += r.Count
		a.samples[i].Value += r.Value
		if a.samples[i].Comm == "" {
			a.samples[i].Comm = r.Comm
		}
	} else {
		a.index[string(a.key)] = len(a.samples)
		a.samples = append(a.samples, r)
	}
	a.total += r.Count
}

func (a *pending) addStats(st samplerStats) {
	a.lost += st.Lost
	a.lostValue += st.LostValue
	for k, v := range st.Failures {
		a.failures[k] += v
	}
}

// stackKey appends the identity of a raw sample's stack: pid, tid, stacks.
func stackKey(k []byte, r rawSample) []byte {
	k = binary.LittleEndian.AppendUint32(k, r.PID)
	k = binary.LittleEndian.AppendUint32(k, r.TID)
	k = binary.LittleEndian.AppendUint32(k, uint32(len(r.User)))
	for _, pc := range r.User {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	for _, pc := range r.Kernel {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	return k
}

// drainLoop empties the backend every drainInterval until stop is closed.
func (s *Session) drainLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(drainInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.mu.Lock()
			if !s.stopped {
				if err := s.drain(); err != nil {
					s.log.Debug("profile: drain", "err", err)
				}
			}
			s.mu.Unlock()
		}
	}
}

// drain moves what the backend gathered into s.pend, user stacks cut
// where the walk went astray (see stackcut.go). s.mu is held.
func (s *Session) drain() error {
	c := newStackCutter(s)
	st, err := s.s.drain(func(r rawSample) {
		c.cut(&r)
		s.pend.add(r)
	})
	if err != nil {
		return fmt.Errorf("profile: draining the %s backend: %w", s.backend, err)
	}
	s.pend.addStats(st)
	for cause, n := range c.cuts {
		s.pend.failures[cause] += n
	}
	return nil
}

// collect drains the backend and builds a symbolized Profile of everything
// pending. s.mu is held.
func (s *Session) collect() (*Profile, error) {
	if err := s.drain(); err != nil {
		return nil, err
	}
	now, mono := time.Now(), clockMonotonic()
	pend := s.pend
	s.pend = newPending(s.cfg.PerThread)
	p := &Profile{
		Event: s.event, Frequency: s.cfg.Frequency, Period: s.cfg.Period,
		Start: s.last, Duration: now.Sub(s.last), Backend: s.backend,
		Lost: pend.lost, LostValue: pend.lostValue, Failures: pend.failures,
	}
	// pend's samples are distinct stacks, in the order of its index: they
	// become the profile's samples in that order, and the timed samples
	// find theirs through the same index.
	b := profileBuilder{s: s, p: p, index: pend.index, startMono: s.lastMono}
	p.Samples = make([]Sample, 0, len(pend.samples))
	for _, r := range pend.samples {
		sm := &p.Samples[b.newSample(r)]
		sm.Count, sm.Value = r.Count, r.Value
	}
	for _, r := range pend.timed {
		b.add(r)
	}
	b.index = nil // naming the addresses needs no stack keys: let them go
	b.symbolize()
	s.last, s.lastMono = now, mono
	s.total += p.Total()
	s.lost += p.Lost
	s.forgetExited()
	return p, nil
}

// profileBuilder makes a Profile of raw samples and names their addresses.
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
	tid := r.TID
	if !b.s.cfg.PerThread {
		r.TID = 0
	}
	b.key = stackKey(b.key[:0], r)
	i, ok := b.index[string(b.key)]
	if !ok {
		i = b.newSample(r)
		b.index[string(b.key)] = i
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
	b.p.Timed = append(b.p.Timed, TimedSample{Time: at, CPU: int(r.CPU), PID: int(r.PID), TID: int(tid), Sample: i, Value: r.Value})
}

// newSample adds a sample of r's stack, without counts, and returns its
// index. r.TID is 0 unless samples are per thread.
func (b *profileBuilder) newSample(r rawSample) int {
	b.p.Samples = append(b.p.Samples, Sample{
		PID: int(r.PID), TID: int(r.TID), Comm: r.Comm,
		User: b.stack(int(r.PID), r.User), Kernel: b.stack(-1, r.Kernel),
	})
	return len(b.p.Samples) - 1
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
	opts := symbolize.LookupOptions{Lines: b.s.opts.Inlines}
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
			frames, err = b.s.sym.Kernel(b.s.symCtx, addrs, opts)
			if err != nil {
				b.p.Failures["kernel-symbols-unavailable"] += uint64(len(addrs))
			}
		} else if snap := b.s.process(pid); snap != nil {
			// JIT compilers add to their perf maps and jitdumps as they
			// go, and the JVM writes its map only at exit: read what
			// is new since the snapshot.
			if err := snap.Refresh(); err != nil {
				b.s.log.Debug("profile: JIT symbols", "pid", pid, "err", err)
			}
			frames, err = b.s.sym.Process(b.s.symCtx, snap, addrs, opts)
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
				if pid != -1 {
					ownStrings(f)
				}
			}
			for _, loc := range b.refs[k] {
				loc.Frames = f
			}
		}
	}
}

// ownStrings gives frames strings of their own. The symbolizer's may share
// the memory of its tables (a symbol table's slab of names, an object's
// copies of a mapped pclntab's names, a perf map): a Profile holding them
// would keep every table a collection touched alive after the symbolizer's
// cache let it go, beyond the cache's budget, and after the session
// closed. Interned, each name is copied once, shared by the profiles that
// hold it and freed with the last. Kernel frames keep kallsyms' names,
// which the symbolizer holds for good.
func ownStrings(frames []symbolize.Frame) {
	for i := range frames {
		f := &frames[i]
		f.Function, f.File = intern(f.Function), intern(f.File)
		f.Module.Path, f.Module.BuildID = intern(f.Module.Path), intern(f.Module.BuildID)
	}
}

// intern returns a copy of s shared with every other interned s.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
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
