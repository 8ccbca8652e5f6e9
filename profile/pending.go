package profile

import (
	"encoding/binary"

	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// pending aggregates drained samples between collections: memory grows
// with the number of distinct stacks, not with time.
type pending struct {
	perThread bool
	index     map[string]int
	samples   []sampler.Sample
	timed     []sampler.Sample
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
func (a *pending) add(r sampler.Sample) {
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

// addCuts counts the stacks c cut, by cause.
func (a *pending) addCuts(c *stackCutter) {
	for cause, n := range c.cuts {
		a.failures[cause] += n
	}
}

func (a *pending) addStats(st sampler.Stats) {
	a.lost += st.Lost
	a.lostValue += st.LostValue
	for k, v := range st.Failures {
		a.failures[k] += v
	}
}

// stackKey appends the identity of a raw sample's stack: pid, tid,
// stacks, whether it is blocked time, and its waker.
func stackKey(k []byte, r sampler.Sample) []byte {
	k = appendStacks(k, r.PID, r.TID, r.User, r.Kernel)
	switch {
	case r.Waker != nil:
		k = append(k, 2)
		k = appendStacks(k, r.Waker.PID, r.Waker.TID, r.Waker.User, r.Waker.Kernel)
		k = append(k, r.Waker.Comm...)
	case r.OffCPU:
		k = append(k, 1)
	}
	return k
}

// appendStacks appends a thread's ids and stacks to a stack key.
func appendStacks(k []byte, pid, tid uint32, user, kernel []uint64) []byte {
	k = binary.LittleEndian.AppendUint32(k, pid)
	k = binary.LittleEndian.AppendUint32(k, tid)
	k = binary.LittleEndian.AppendUint32(k, uint32(len(user)))
	k = binary.LittleEndian.AppendUint32(k, uint32(len(kernel)))
	for _, pc := range user {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	for _, pc := range kernel {
		k = binary.LittleEndian.AppendUint64(k, pc)
	}
	return k
}
