package bpfsampler

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// grace is how long Drain waits after flipping the generation for programs
// that started before the flip to finish writing.
const grace = 5 * time.Millisecond

// failureNames are the causes the program counts, indexed by its enum
// failure, as Stats.Failures names them. The samples of
// FailureCountsFull and FailureCountsError make up Stats.Lost; the sum of
// their periods (FAILURE_LOST_PERIOD, in event units) goes to
// Stats.LostValue, not to Stats.Failures, and has no name.
var failureNames = [...]string{
	bpf.ProfileFailureFAILURE_USER_STACK_FULL:        sampler.FailureUserStackFull,
	bpf.ProfileFailureFAILURE_KERNEL_STACK_FULL:      sampler.FailureKernelStackFull,
	bpf.ProfileFailureFAILURE_USER_STACK_FAULT:       sampler.FailureUserStackFault,
	bpf.ProfileFailureFAILURE_KERNEL_STACK_FAULT:     sampler.FailureKernelStackFault,
	bpf.ProfileFailureFAILURE_USER_STACK_OTHER:       sampler.FailureUserStackError,
	bpf.ProfileFailureFAILURE_KERNEL_STACK_OTHER:     sampler.FailureKernelStackError,
	bpf.ProfileFailureFAILURE_COUNTS_FULL:            sampler.FailureCountsFull,
	bpf.ProfileFailureFAILURE_COUNTS_ERROR:           sampler.FailureCountsError,
	bpf.ProfileFailureFAILURE_LOST_PERIOD:            "",
	bpf.ProfileFailureFAILURE_TIMED_RING_FULL:        sampler.FailureTimedRingFull,
	bpf.ProfileFailureFAILURE_PROCESS_RING_FULL:      sampler.FailureProcessRingFull,
	bpf.ProfileFailureFAILURE_PIDS_FULL:              sampler.FailureChildNotFollowed,
	bpf.ProfileFailureFAILURE_UNWIND_UNKNOWN_PROCESS: sampler.FailureUnwindUnknownProcess,
	bpf.ProfileFailureFAILURE_UNWIND_NO_TABLE:        sampler.FailureUnwindNoTable,
	bpf.ProfileFailureFAILURE_UNWIND_UNSUPPORTED:     sampler.FailureUnwindUnsupported,
	bpf.ProfileFailureFAILURE_UNWIND_BAD_FRAME:       sampler.FailureUnwindBadFrame,
	bpf.ProfileFailureFAILURE_UNWIND_READ_FAULT:      sampler.FailureUnwindReadFault,
	bpf.ProfileFailureFAILURE_UNWIND_DEPTH:           sampler.FailureUnwindDepthLimit,
	bpf.ProfileFailureFAILURE_BLOCKED_FULL:           sampler.FailureBlockedFull,
	bpf.ProfileFailureFAILURE_SWITCH_IN_MISSED:       sampler.FailureSwitchInMissed,
	bpf.ProfileFailureFAILURE_BLOCK_END_LOST:         sampler.FailureSwitchMissed,
}

// failureCount is the number of causes the program counts.
const failureCount = int(bpf.ProfileFailureFAILURE_MAX)

// Drain hands over and clears everything gathered since the last drain.
func (s *Sampler) Drain(emit func(sampler.Sample)) (sampler.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return sampler.Stats{}, fmt.Errorf("drain after close: %w", os.ErrClosed)
	}
	return s.drain(emit)
}

// drain is Drain, s.mu held.
func (s *Sampler) drain(emit func(sampler.Sample)) (sampler.Stats, error) {
	old := s.gen
	if err := s.objs.Generation.Put(uint32(0), old^1); err != nil {
		return sampler.Stats{}, fmt.Errorf("flipping generation: %w", err)
	}
	s.gen = old ^ 1
	time.Sleep(grace)

	// The stacks first, chunk by chunk into their frames, then the counts
	// that name them: a drain holds one chunk of raw entries at a time
	// (a raw stack is 1 KiB, whatever its depth), in buffers kept for the
	// next drain.
	st := drainedStacks{stacks: map[uint64][]uint64{}, fails: s.carry, held: s.held, iters: s.leafIters()}
	s.buf.stackIDs, s.buf.stacks = chunk(s.buf.stackIDs, s.buf.stacks, s.stacks[old], 256)
	err := take(s.stacks[old], s.buf.stackIDs, s.buf.stacks, func(id *uint64, frames *bpf.ProfileStack) {
		st.stacks[*id] = framesOf(frames)
	})
	if err != nil {
		return sampler.Stats{}, fmt.Errorf("draining stacks: %w", err)
	}
	var timed []bpf.ProfileTimedSample
	if s.timed != nil {
		var dropped uint64
		if timed, dropped, err = s.timed.take(old); err != nil {
			return sampler.Stats{}, err
		}
		s.carry[sampler.FailureTimedBacklogFull] += dropped
	}
	s.buf.countKeys, s.buf.counts = chunk(s.buf.countKeys, s.buf.counts, s.counts[old], 4096)
	err = take(s.counts[old], s.buf.countKeys, s.buf.counts, func(k *bpf.ProfileCountKey, v *bpf.ProfileCountValue) {
		emit(countSample(k, v, &st))
	})
	if err != nil {
		return sampler.Stats{}, fmt.Errorf("draining counts: %w", err)
	}
	for i := range timed {
		emit(timedSample(&timed[i], &st))
	}
	if s.held != nil {
		named, err := s.namedStacks()
		if err != nil {
			return sampler.Stats{}, err
		}
		s.held.keep(st.stacks, named)
	}
	return s.stats()
}

// stats returns the failures counted since the last call.
func (s *Sampler) stats() (sampler.Stats, error) {
	st := sampler.Stats{Failures: map[string]uint64{}}
	m := s.objs.Failures
	for i := range failureCount {
		var perCPU []uint64
		if err := m.Lookup(uint32(i), &perCPU); err != nil {
			return sampler.Stats{}, fmt.Errorf("reading failures: %w", err)
		}
		var total uint64
		for _, n := range perCPU {
			total += n
		}
		d := total - s.failures[i]
		s.failures[i] = total
		switch {
		case i == int(bpf.ProfileFailureFAILURE_LOST_PERIOD):
			st.LostValue = d // not a count of samples
		case d > 0:
			st.Failures[failureNames[i]] = d
		}
	}
	missed, err := s.switchesMissed()
	if err != nil {
		return sampler.Stats{}, err
	}
	if missed > 0 {
		st.Failures[sampler.FailureSwitchMissed] += missed
	}
	st.Lost = st.Failures[sampler.FailureCountsFull] + st.Failures[sampler.FailureCountsError] +
		st.Failures[sampler.FailureBlockedFull] + st.Failures[sampler.FailureSwitchMissed]
	for k, n := range s.carry {
		if n > 0 {
			st.Failures[k] += n
		}
		delete(s.carry, k)
	}
	return st, nil
}

// buffers are the chunks Drain reads map entries into, kept between
// drains.
type buffers struct {
	stackIDs   []uint64
	stacks     []bpf.ProfileStack
	countKeys  []bpf.ProfileCountKey
	counts     []bpf.ProfileCountValue
	blockedIDs []uint32
	blocked    []bpf.ProfileBlockedThread
}

// chunk returns buffers of chunk entries for m (at most its size),
// reusing kbuf and vbuf when they are made already.
func chunk[K, V any](kbuf []K, vbuf []V, m *ebpf.Map, n int) ([]K, []V) {
	n = min(n, int(m.MaxEntries()))
	if len(kbuf) != n {
		kbuf, vbuf = make([]K, n), make([]V, n)
	}
	return kbuf, vbuf
}

// take reads and deletes every entry of a hash map, len(kbuf) entries
// per system call (it must exceed the entries of any hash bucket), and
// calls each with every entry. The entries passed to each are overwritten
// by the next chunk.
func take[K, V any](m *ebpf.Map, kbuf []K, vbuf []V, each func(*K, *V)) error {
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
			return iterateTake(m, each)
		case err != nil:
			return err
		}
	}
}

// scan is take without deleting: it reads every entry of a hash map
// (entries the program adds or deletes meanwhile may be missed or seen
// twice).
func scan[K, V any](m *ebpf.Map, kbuf []K, vbuf []V, each func(*K, *V)) error {
	var cursor ebpf.MapBatchCursor
	for {
		n, err := m.BatchLookup(&cursor, kbuf, vbuf, nil)
		for i := range n {
			each(&kbuf[i], &vbuf[i])
		}
		switch {
		case errors.Is(err, ebpf.ErrKeyNotExist):
			return nil
		case errors.Is(err, ebpf.ErrNotSupported):
			var k K
			var v V
			it := m.Iterate()
			for it.Next(&k, &v) {
				each(&k, &v)
			}
			return it.Err()
		case err != nil:
			return err
		}
	}
}

// iterateTake is take for kernels without batch operations (before
// 5.6): the map is no longer written to, so iterating then deleting sees
// every entry once.
func iterateTake[K, V any](m *ebpf.Map, each func(*K, *V)) error {
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

// framesOf returns the frames of a stack, without its zero padding.
func framesOf(s *bpf.ProfileStack) []uint64 {
	n := 0
	for n < len(s.Pc) && s.Pc[n] != 0 {
		n++
	}
	if n == 0 {
		return nil
	}
	return slices.Clone(s.Pc[:n])
}

// drainedStacks are the stacks of one drain, and those held from earlier
// drains (nil unless off-CPU).
type drainedStacks struct {
	stacks map[uint64][]uint64
	held   *heldStacks
	fails  map[string]uint64
	iters  traceiters // whose frame offCPUKernel drops
}

// leafIters returns the tracepoint iterators whose frame the off-CPU
// kernel stacks drop (none unless off-CPU with kernel stacks), waiting
// for Start's reading of them if it has not ended.
func (s *Sampler) leafIters() traceiters {
	if s.traceiters == nil {
		return nil
	}
	return s.traceiters()
}

// get returns the frames of stack key, leaf first, or nil for key 0 or a
// stack not drained, which counts n samples under the failure missing.
func (b *drainedStacks) get(key uint64, missing string, n uint64) []uint64 {
	if key == 0 {
		return nil
	}
	frames := b.stacks[key]
	if frames == nil && b.held != nil {
		frames = b.held.frames[key]
	}
	if frames == nil {
		b.fails[missing] += n
	}
	return frames
}

// offCPUKernel is get for the kernel stack an off-CPU program took (a
// block's or a waker's): without the leaf frame of a tracepoint iterator,
// so that it starts at the scheduler or the wakeup whether or not other
// programs share the tracepoint.
func (b *drainedStacks) offCPUKernel(key, n uint64) []uint64 {
	return b.iters.trim(b.get(key, sampler.FailureKernelStackMissing, n))
}

// cString returns a NUL-terminated C string as a Go string.
func cString(c []int8) string {
	b := make([]byte, 0, len(c))
	for _, ch := range c {
		if ch == 0 {
			break
		}
		b = append(b, byte(ch))
	}
	return string(b)
}
