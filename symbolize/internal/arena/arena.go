package arena

import (
	"strings"
	"unsafe"
)

// Strings keeps the names an object gives out in blocks of its own,
// rather than one heap allocation each. The names live as long as the
// object, while they are made one by one among a collection's short-lived
// garbage: allocated singly, each would keep a span of its size class in
// use after the garbage around it was freed, and a continuous profiler's
// heap would grow by such mostly empty spans. A name given out keeps its
// whole block alive. The zero value is ready to use; it is not safe for
// concurrent use (its owner's lock guards it).
type Strings struct {
	block []byte
	bytes int64 // the blocks' capacity, for the cache's accounting
}

const (
	firstBlock = 512      // the first block: an object may give out only a few names
	maxBlock   = 16 << 10 // blocks double up to this size
)

// Keep returns a copy of s in the arena.
func (a *Strings) Keep(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > maxBlock/8 {
		a.bytes += int64(len(s))
		return strings.Clone(s)
	}
	if cap(a.block)-len(a.block) < len(s) {
		size := max(min(max(2*cap(a.block), firstBlock), maxBlock), len(s))
		a.block = make([]byte, 0, size)
		a.bytes += int64(size)
	}
	start := len(a.block)
	a.block = append(a.block, s...)
	return unsafe.String(&a.block[start], len(s))
}

// Bytes returns the memory the arena holds: its blocks' capacity and the
// long strings it copied on their own, for a cache's accounting.
func (a *Strings) Bytes() int64 { return a.bytes }
