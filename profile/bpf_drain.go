package profile

import (
	"errors"
	"fmt"
	"time"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/bpf"
)

// bpfGrace is how long drain waits after flipping the generation for
// programs that started before the flip to finish writing.
const bpfGrace = 5 * time.Millisecond

// Failure causes the eBPF backend counts in samplerStats.Failures, indexed
// by the program's enum failure. "counts-full" and "counts-error" samples
// make up Lost, and "lost-period" is the sum of their periods (event
// units, ns for cpu-clock), not a number of samples.
var bpfFailureNames = [...]string{
	bpf.ProfileFailureFAILURE_USER_STACK_COLLISION:   "user-stack-collision",
	bpf.ProfileFailureFAILURE_KERNEL_STACK_COLLISION: "kernel-stack-collision",
	bpf.ProfileFailureFAILURE_USER_STACK_FAULT:       "user-stack-fault",
	bpf.ProfileFailureFAILURE_KERNEL_STACK_FAULT:     "kernel-stack-fault",
	bpf.ProfileFailureFAILURE_USER_STACK_OTHER:       "user-stack-error",
	bpf.ProfileFailureFAILURE_KERNEL_STACK_OTHER:     "kernel-stack-error",
	bpf.ProfileFailureFAILURE_COUNTS_FULL:            "counts-full",
	bpf.ProfileFailureFAILURE_COUNTS_ERROR:           "counts-error",
	bpf.ProfileFailureFAILURE_LOST_PERIOD:            "lost-period",
	bpf.ProfileFailureFAILURE_TIMED_RING_FULL:        "timed-ring-full",
	bpf.ProfileFailureFAILURE_PROCESS_RING_FULL:      "process-ring-full",
	bpf.ProfileFailureFAILURE_PIDS_FULL:              "child-not-followed",
}

// bpfFailureCount is the number of causes the program counts.
const bpfFailureCount = int(bpf.ProfileFailureFAILURE_MAX)

// Failure causes found in user space.
const (
	failUserStackMissing   = "user-stack-missing"   // stack id no longer in the stack map
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

	keys, values, err := bpfTakeCounts(s.counts[old])
	if err != nil {
		return samplerStats{}, err
	}
	var timed []bpf.ProfileTimedSample
	if s.timed != nil {
		var dropped uint64
		if timed, dropped, err = s.timed.take(old); err != nil {
			return samplerStats{}, err
		}
		s.carry[failTimedBacklog] += dropped
	}
	st := bpfStacks{m: s.stacks[old], depth: s.depth, cache: map[int32][]uint64{}, fails: s.carry}
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
	if err := bpfClearStacks(s.stacks[old]); err != nil {
		return samplerStats{}, err
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
	for k, n := range s.carry {
		if n > 0 {
			st.Failures[k] += n
		}
		delete(s.carry, k)
	}
	return st, nil
}

// bpfTakeCounts reads and deletes every entry of a counts map.
func bpfTakeCounts(m *ebpf.Map) ([]bpf.ProfileCountKey, []bpf.ProfileCountValue, error) {
	chunk := int(min(m.MaxEntries(), 4096))
	kbuf := make([]bpf.ProfileCountKey, chunk)
	vbuf := make([]bpf.ProfileCountValue, chunk)
	var keys []bpf.ProfileCountKey
	var values []bpf.ProfileCountValue
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookupAndDelete(&cursor, kbuf, vbuf, nil)
		keys = append(keys, kbuf[:n]...)
		values = append(values, vbuf[:n]...)
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			return keys, values, nil
		case errors.Is(err, ebpf.ErrNotSupported) && len(keys) == 0:
			return bpfIterateCounts(m)
		case err != nil:
			return nil, nil, fmt.Errorf("profile: bpf backend: draining counts: %w", err)
		}
	}
}

// bpfIterateCounts is bpfTakeCounts for kernels without batch operations
// (before 5.6): the map is no longer written to, so iterating then
// deleting sees every entry once.
func bpfIterateCounts(m *ebpf.Map) ([]bpf.ProfileCountKey, []bpf.ProfileCountValue, error) {
	var keys []bpf.ProfileCountKey
	var values []bpf.ProfileCountValue
	var k bpf.ProfileCountKey
	var v bpf.ProfileCountValue
	it := m.Iterate()
	for it.Next(&k, &v) {
		keys = append(keys, k)
		values = append(values, v)
	}
	if err := it.Err(); err != nil {
		return nil, nil, fmt.Errorf("profile: bpf backend: reading counts: %w", err)
	}
	for _, k := range keys {
		if err := m.Delete(k); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			return nil, nil, fmt.Errorf("profile: bpf backend: deleting counts: %w", err)
		}
	}
	return keys, values, nil
}

// bpfClearStacks deletes every stack of a stack map.
func bpfClearStacks(m *ebpf.Map) error {
	var id uint32
	err := m.NextKey(nil, &id)
	for err == nil {
		if err = m.Delete(id); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			break
		}
		// The stack map's next key after a deleted id is the next one in
		// use.
		err = m.NextKey(id, &id)
	}
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return nil
	}
	return fmt.Errorf("profile: bpf backend: clearing stacks: %w", err)
}

// bpfStacks looks up the stacks of one drain, once per id.
type bpfStacks struct {
	m     *ebpf.Map
	depth int
	cache map[int32][]uint64
	fails map[string]uint64
}

// get returns the frames of stack id, leaf first, or nil for id -1 or a
// stack no longer in the map, which counts n samples under the failure
// missing.
func (b *bpfStacks) get(id int32, missing string, n uint64) []uint64 {
	if id < 0 {
		return nil
	}
	frames, ok := b.cache[id]
	if !ok {
		frames = make([]uint64, b.depth)
		if err := b.m.Lookup(uint32(id), frames); err != nil {
			frames = nil
		}
		for i, pc := range frames {
			if pc == 0 {
				frames = frames[:i:i]
				break
			}
		}
		if len(frames) == 0 {
			frames = nil
		}
		b.cache[id] = frames
	}
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
