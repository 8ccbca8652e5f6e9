package profile

import (
	"context"
	"time"
	"unique"

	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/symbolize"
)

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
func (b *profileBuilder) add(r sampler.Sample) {
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
func (b *profileBuilder) newSample(r sampler.Sample) int {
	sm := Sample{
		PID: int(r.PID), TID: int(r.TID), Comm: r.Comm,
		User: b.stack(int(r.PID), r.User), Kernel: b.stack(-1, r.Kernel),
		OffCPU: r.OffCPU,
	}
	if w := r.Waker; w != nil {
		sm.Waker = &Waker{
			PID: int(w.PID), TID: int(w.TID), Comm: w.Comm,
			User: b.stack(int(w.PID), w.User), Kernel: b.stack(-1, w.Kernel),
		}
	}
	b.p.Samples = append(b.p.Samples, sm)
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
// Once ctx is done (the session closes), the addresses not yet named stay
// unknown.
func (b *profileBuilder) symbolize(ctx context.Context) {
	byPID := map[int][]addrKey{}
	for k := range b.refs {
		byPID[k.pid] = append(byPID[k.pid], k)
	}
	for pid, keys := range byPID {
		addrs := make([]uint64, len(keys))
		for i, k := range keys {
			addrs[i] = k.addr
			if !k.leaf && k.addr > 0 {
				addrs[i]--
			}
		}
		frames := b.lookup(ctx, pid, addrs)
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

// lookup names the addresses of process pid, or of the kernel (pid -1),
// from the snapshot of the process; nil when they cannot be named.
func (b *profileBuilder) lookup(ctx context.Context, pid int, addrs []uint64) [][]symbolize.Frame {
	if ctx.Err() != nil {
		return nil
	}
	opts := symbolize.LookupOptions{Lines: b.s.opts.Inlines}
	if pid == -1 {
		frames, err := b.s.sym.Kernel(ctx, addrs, opts)
		if err != nil {
			b.p.Failures[FailureKernelSymbolsUnavailable] += uint64(len(addrs))
			b.s.log.Debug("profile: symbolize", "pid", pid, "err", err)
		}
		return frames
	}
	snap := b.s.process(pid)
	if snap == nil {
		return nil
	}
	// JIT compilers add to their perf maps and jitdumps as they go, and
	// the JVM writes its map only at exit: read what is new since the
	// snapshot.
	if err := snap.Refresh(); err != nil {
		b.s.log.Debug("profile: JIT symbols", "pid", pid, "err", err)
	}
	frames, err := b.s.sym.Process(ctx, snap, addrs, opts)
	if err != nil {
		b.s.log.Debug("profile: symbolize", "pid", pid, "err", err)
	}
	return frames
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
