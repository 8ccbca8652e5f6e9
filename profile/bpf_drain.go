package profile

import (
	"errors"
	"fmt"
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
		return samplerStats{}, fmt.Errorf("profile: bpf backend: drain after close")
	}
	old := s.gen
	if err := s.objs.Generation.Put(uint32(0), old^1); err != nil {
		return samplerStats{}, fmt.Errorf("profile: bpf backend: flipping generation: %w", err)
	}
	s.gen = old ^ 1
	time.Sleep(bpfGrace)

	keys, values, err := bpfTake[bpf.ProfileCountKey, bpf.ProfileCountValue](s.counts[old], 4096)
	if err != nil {
		return samplerStats{}, fmt.Errorf("profile: bpf backend: draining counts: %w", err)
	}
	ids, frames, err := bpfTake[uint64, bpf.ProfileStack](s.stacks[old], 256)
	if err != nil {
		return samplerStats{}, fmt.Errorf("profile: bpf backend: draining stacks: %w", err)
	}
	var timed []bpf.ProfileTimedSample
	if s.timed != nil {
		var dropped uint64
		if timed, dropped, err = s.timed.take(old); err != nil {
			return samplerStats{}, err
		}
		s.carry[failTimedBacklog] += dropped
	}
	st := bpfStacks{stacks: make(map[uint64][]uint64, len(ids)), fails: s.carry}
	for i, id := range ids {
		st.stacks[id] = bpfFrames(&frames[i])
	}
	for i, k := range keys {
		v := values[i]
		emit(rawSample{
			PID: k.Pid, TID: k.Tid, Comm: bpfString(v.Comm[:]), CPU: -1,
			User: st.get(k.UserStack, failUserStackMissing, v.Count), Kernel: st.get(k.KernelStack, failKernelStackMissing, v.Count),
			Count: v.Count, Value: v.Period,
		})
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
			return samplerStats{}, fmt.Errorf("profile: bpf backend: reading failures: %w", err)
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

// bpfTake reads and deletes every entry of a hash map, chunk entries per
// system call (chunk must exceed the entries of any hash bucket).
func bpfTake[K, V any](m *ebpf.Map, chunk int) ([]K, []V, error) {
	chunk = min(chunk, int(m.MaxEntries()))
	kbuf, vbuf := make([]K, chunk), make([]V, chunk)
	var keys []K
	var values []V
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookupAndDelete(&cursor, kbuf, vbuf, nil)
		keys = append(keys, kbuf[:n]...)
		values = append(values, vbuf[:n]...)
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			return keys, values, nil
		case errors.Is(err, ebpf.ErrNotSupported) && len(keys) == 0:
			return bpfIterateTake[K, V](m)
		case err != nil:
			return nil, nil, err
		}
	}
}

// bpfIterateTake is bpfTake for kernels without batch operations (before
// 5.6): the map is no longer written to, so iterating then deleting sees
// every entry once.
func bpfIterateTake[K, V any](m *ebpf.Map) ([]K, []V, error) {
	var keys []K
	var values []V
	var k K
	var v V
	it := m.Iterate()
	for it.Next(&k, &v) {
		keys = append(keys, k)
		values = append(values, v)
	}
	if err := it.Err(); err != nil {
		return nil, nil, err
	}
	for _, k := range keys {
		if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil, nil, err
		}
	}
	return keys, values, nil
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
