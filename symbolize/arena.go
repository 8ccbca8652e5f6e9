package symbolize

import (
	"strings"
	"unsafe"
)

// stringArena keeps the names an object gives out in blocks of its own,
// rather than one heap allocation each. The names live as long as the
// object, while they are made one by one among a collection's short-lived
// garbage: allocated singly, each would keep a span of its size class in
// use after the garbage around it was freed, and a continuous profiler's
// heap would grow by such mostly empty spans. A name given out keeps its
// whole block alive. The zero value is ready to use; it is not safe for
// concurrent use (the object's lock guards it).
type stringArena struct {
	block []byte
	bytes int64 // the blocks' capacity, for the cache's accounting
}

const (
	arenaFirstBlock = 512      // the first block: an object may give out only a few names
	arenaMaxBlock   = 16 << 10 // blocks double up to this size
)

// keep returns a copy of s in the arena.
func (a *stringArena) keep(s string) string {
	if len(s) == 0 {
		return ""
	}
	if len(s) > arenaMaxBlock/8 {
		a.bytes += int64(len(s))
		return strings.Clone(s)
	}
	if cap(a.block)-len(a.block) < len(s) {
		size := max(min(max(2*cap(a.block), arenaFirstBlock), arenaMaxBlock), len(s))
		a.block = make([]byte, 0, size)
		a.bytes += int64(size)
	}
	start := len(a.block)
	a.block = append(a.block, s...)
	return unsafe.String(&a.block[start], len(s))
}
