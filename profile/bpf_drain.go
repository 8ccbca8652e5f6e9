package profile

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/bpf"
)

// bpfGrace is how long drain waits after flipping the generation for
// programs that started before the flip to finish writing.
const bpfGrace = 5 * time.Millisecond

// Failure causes the eBPF backend counts in samplerStats.Failures, indexed
// by the program's enum failure. "counts-full" and "counts-error" samples
// make up Lost; "lost-period", the sum of their periods (event units, ns
// for cpu-clock), goes to LostValue, not to Failures.
var bpfFailureNames = [...]string{
	bpf.ProfileFailureFAILURE_USER_STACK_FULL:    "user-stack-full",
	bpf.ProfileFailureFAILURE_KERNEL_STACK_FULL:  "kernel-stack-full",
	bpf.ProfileFailureFAILURE_USER_STACK_FAULT:   "user-stack-fault",
	bpf.ProfileFailureFAILURE_KERNEL_STACK_FAULT: "kernel-stack-fault",
	bpf.ProfileFailureFAILURE_USER_STACK_OTHER:   "user-stack-error",
	bpf.ProfileFailureFAILURE_KERNEL_STACK_OTHER: "kernel-stack-error",
	bpf.ProfileFailureFAILURE_COUNTS_FULL:        "counts-full",
	bpf.ProfileFailureFAILURE_COUNTS_ERROR:       "counts-error",
	bpf.ProfileFailureFAILURE_LOST_PERIOD:        "lost-period",
	bpf.ProfileFailureFAILURE_TIMED_RING_FULL:    "timed-ring-full",
	bpf.ProfileFailureFAILURE_PROCESS_RING_FULL:  "process-ring-full",
	bpf.ProfileFailureFAILURE_PIDS_FULL:          "child-not-followed",
}

// bpfFailureCount is the number of causes the program counts.
const bpfFailureCount = int(bpf.ProfileFailureFAILURE_MAX)

// Failure causes found in user space.
const (
	failUserStackMissing   = "user-stack-missing"   // stack no longer in the stack map
	failKernelStackMissing = "kernel-stack-missing" // same, for a kernel stack
	failTimedBacklog       = "timed-backlog-full"   // timed samples beyond bpfTimedBacklog between drains
)

// drain hands over and clears everything gathered since the last drain.
func (s *bpfSampler) drain(emit func(rawSample)) (samplerStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return samplerStats{}, fmt.Errorf("drain after close: %w", os.ErrClosed)
	}
	old := s.gen
	if err := s.objs.Generation.Put(uint32(0), old^1); err != nil {
		return samplerStats{}, fmt.Errorf("flipping generation: %w", err)
	}
	s.gen = old ^ 1
	time.Sleep(bpfGrace)

	// The stacks first, chunk by chunk into their frames, then the counts
	// that name them: a drain holds one chunk of raw entries at a time
	// (a raw stack is 1 KiB, whatever its depth), in buffers kept for the
	// next drain.
	st := bpfStacks{stacks: map[uint64][]uint64{}, fails: s.carry}
	s.buf.stackIDs, s.buf.stacks = bpfChunk(s.buf.stackIDs, s.buf.stacks, s.stacks[old], 256)
	err := bpfTake(s.stacks[old], s.buf.stackIDs, s.buf.stacks, func(id *uint64, frames *bpf.ProfileStack) {
		st.stacks[*id] = bpfFrames(frames)
	})
	if err != nil {
		return samplerStats{}, fmt.Errorf("draining stacks: %w", err)
	}
	var timed []bpf.ProfileTimedSample
	if s.timed != nil {
		var dropped uint64
		if timed, dropped, err = s.timed.take(old); err != nil {
			return samplerStats{}, err
		}
		s.carry[failTimedBacklog] += dropped
	}
	s.buf.countKeys, s.buf.counts = bpfChunk(s.buf.countKeys, s.buf.counts, s.counts[old], 4096)
	err = bpfTake(s.counts[old], s.buf.countKeys, s.buf.counts, func(k *bpf.ProfileCountKey, v *bpf.ProfileCountValue) {
		emit(rawSample{
			PID: k.Pid, TID: k.Tid, Comm: bpfString(v.Comm[:]), CPU: -1,
			User: st.get(k.UserStack, failUserStackMissing, v.Count), Kernel: st.get(k.KernelStack, failKernelStackMissing, v.Count),
			Count: v.Count, Value: v.Period,
		})
	})
	if err != nil {
		return samplerStats{}, fmt.Errorf("draining counts: %w", err)
	}
	for _, t := range timed {
		emit(rawSample{
			PID: t.Pid, TID: t.Tid, Comm: bpfString(t.Comm[:]), CPU: int32(t.Cpu), Time: t.Time,
			User: st.get(t.UserStack, failUserStackMissing, 1), Kernel: st.get(t.KernelStack, failKernelStackMissing, 1),
			Count: 1, Value: t.Period,
		})
	}
	return s.stats()
}

// stats returns the failures counted since the last call.
func (s *bpfSampler) stats() (samplerStats, error) {
	st := samplerStats{Failures: map[string]uint64{}}
	m := s.objs.Failures
	for i := range bpfFailureCount {
		var perCPU []uint64
		if err := m.Lookup(uint32(i), &perCPU); err != nil {
			return samplerStats{}, fmt.Errorf("reading failures: %w", err)
		}
		var total uint64
		for _, n := range perCPU {
			total += n
		}
		if d := total - s.failures[i]; d > 0 {
			st.Failures[bpfFailureNames[i]] = d
		}
		s.failures[i] = total
	}
	st.Lost = st.Failures[bpfFailureNames[bpf.ProfileFailureFAILURE_COUNTS_FULL]] +
		st.Failures[bpfFailureNames[bpf.ProfileFailureFAILURE_COUNTS_ERROR]]
	lostPeriod := bpfFailureNames[bpf.ProfileFailureFAILURE_LOST_PERIOD]
	st.LostValue = st.Failures[lostPeriod]
	delete(st.Failures, lostPeriod) // not a count of samples
	for k, n := range s.carry {
		if n > 0 {
			st.Failures[k] += n
		}
		delete(s.carry, k)
	}
	return st, nil
}

// bpfBuffers are the chunks drain reads map entries into, kept between
// drains.
type bpfBuffers struct {
	stackIDs  []uint64
	stacks    []bpf.ProfileStack
	countKeys []bpf.ProfileCountKey
	counts    []bpf.ProfileCountValue
}

// bpfChunk returns buffers of chunk entries for m (at most its size),
// reusing kbuf and vbuf when they are made already.
func bpfChunk[K, V any](kbuf []K, vbuf []V, m *ebpf.Map, chunk int) ([]K, []V) {
	chunk = min(chunk, int(m.MaxEntries()))
	if len(kbuf) != chunk {
		kbuf, vbuf = make([]K, chunk), make([]V, chunk)
	}
	return kbuf, vbuf
}

// bpfTake reads and deletes every entry of a hash map, len(kbuf) entries
// per system call (it must exceed the entries of any hash bucket), and
// calls each with every entry. The entries passed to each are overwritten
// by the next chunk.
func bpfTake[K, V any](m *ebpf.Map, kbuf []K, vbuf []V, each func(*K, *V)) error {
	var cursor ebpf.MapBatchCursor
	for taken := 0; ; {
		n, err := m.BatchLookupAndDelete(&cursor, kbuf, vbuf, nil)
		for i := range n {
			each(&kbuf[i], &vbuf[i])
		}
		taken += n
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			return nil
		case errors.Is(err, ebpf.ErrNotSupported) && taken == 0:
			return bpfIterateTake(m, each)
		case err != nil:
			return err
		}
	}
}

// bpfIterateTake is bpfTake for kernels without batch operations (before
// 5.6): the map is no longer written to, so iterating then deleting sees
// every entry once.
func bpfIterateTake[K, V any](m *ebpf.Map, each func(*K, *V)) error {
	var keys []K
	var k K
	var v V
	it := m.Iterate()
	for it.Next(&k, &v) {
		each(&k, &v)
		keys = append(keys, k)
	}
	if err := it.Err(); err != nil {
		return err
	}
	for _, k := range keys {
		if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return err
		}
	}
	return nil
}

// bpfFrames returns the frames of a stack, without its zero padding.
func bpfFrames(s *bpf.ProfileStack) []uint64 {
	n := 0
	for n < len(s.Pc) && s.Pc[n] != 0 {
		n++
	}
	if n == 0 {
		return nil
	}
	return slices.Clone(s.Pc[:n])
}

// bpfStacks are the stacks of one drain.
type bpfStacks struct {
	stacks map[uint64][]uint64
	fails  map[string]uint64
}

// get returns the frames of stack key, leaf first, or nil for key 0 or a
// stack not drained, which counts n samples under the failure missing.
func (b *bpfStacks) get(key uint64, missing string, n uint64) []uint64 {
	if key == 0 {
		return nil
	}
	frames := b.stacks[key]
	if frames == nil {
		b.fails[missing] += n
	}
	return frames
}

// bpfString returns a NUL-terminated C string as a Go string.
func bpfString(c []int8) string {
	b := make([]byte, 0, len(c))
	for _, ch := range c {
		if ch == 0 {
			break
		}
		b = append(b, byte(ch))
	}
	return string(b)
}
