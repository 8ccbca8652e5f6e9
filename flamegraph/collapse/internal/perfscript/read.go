package perfscript

import (
	"io"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
)

// Options selects what Read keeps, with the meanings of collapse.PerfOptions
// (whose fields these are, in the same order).
type Options struct {
	PID         bool   // process frame "comm-PID"
	TID         bool   // process frame "comm-PID/TID" (takes precedence over PID)
	Kernel      bool   // annotate kernel frames with flamegraph.KernelSuffix
	JIT         bool   // annotate JIT frames with flamegraph.JITSuffix
	Addrs       bool   // name unknown frames with their address
	EventFilter string // keep samples of this event only (default: the first seen)
	Threads     int    // worker goroutines; 0 or 1 means one
}

// Sizes are the buffer sizes Read works with; tests make them small.
type Sizes struct {
	// Chunk is the read size, and the size of the chunks handed to the
	// worker goroutines.
	Chunk int
	// MaxChunk bounds a chunk that has no sample boundary; past it the
	// parallel reader goes on with one goroutine.
	MaxChunk int
	// Memo bounds the bytes the tables take: the table of distinct
	// symbols (symbols.go) half, the table of lines (lines.go) and the
	// memo of sample bodies (memo.go) a quarter each. Past its half, the
	// table of symbols is emptied between samples, with the table of
	// lines; past their quarters, the others keep no more. 0 keeps nothing
	// between samples. With Options.Threads > 1 each of the n parsers
	// gets Memo/2n: the tables of each see much the same lines, and
	// together they then take about what one parser's take (on the real
	// capture of bench/collapse-render, a peak RSS of 35 MiB with two
	// rather than 39 MiB; their tables are on the heap, newHeapParser).
	Memo int
}

// DefaultSizes are the sizes collapse.Perf uses. A chunk of 256 KiB stays
// in a core's cache (1 MiB of L2 on the machine measured) between the
// read that copies it there and the parsing of it: on the real capture of
// bench/collapse-render that takes a tenth less CPU time than 1 MiB, and
// 128 KiB no less. The tables take 4.5 MiB of their 16 MiB on that capture
// (its 23,000 distinct frame lines, with their heads, 3.4 MiB).
var DefaultSizes = Sizes{Chunk: 256 << 10, MaxChunk: 64 << 20, Memo: 16 << 20}

// Stats describes what Read read beyond the folded stacks, with the
// meanings of collapse.PerfStats (whose fields these are, in the same
// order).
type Stats struct {
	Event     string // the event type kept ("" when no header named one)
	Samples   int    // samples folded
	Filtered  int    // samples dropped for their event type
	Truncated bool   // the input ended inside a sample
}

// Read folds the `perf script` text r holds (see collapse.Perf for the
// rules) and returns the profile, sorted by frames, with the stats. A read
// error is returned as it is, with the profile and stats of what was read
// before it.
func Read(r io.Reader, opts Options, sizes Sizes) (*flamegraph.Profile, Stats, error) {
	ps, event, err := readParsers(r, opts, sizes)
	defer releaseAll(ps)
	prof := merge(ps)
	var st Stats
	st, prof.Unit = summary(ps, event)
	return prof, st, err
}

// readParsers folds r with opts.Threads goroutines (one when it is 0 or 1) and
// returns their parsers, with the skipped lines of all in the first, and
// the event type kept.
func readParsers(r io.Reader, opts Options, sizes Sizes) ([]*parser, []byte, error) {
	if opts.Threads > 1 {
		return readParallel(r, opts, sizes)
	}
	p := newParser(opts, sizes.Memo)
	err := p.readAll(r, regionMake[byte](&p.mem, sizes.Chunk))
	return []*parser{p}, p.filter, err
}

// summary returns the stats of what the parsers read, keeping event, and
// the unit of their counts.
func summary(ps []*parser, event []byte) (Stats, string) {
	st := Stats{Event: string(event)}
	weighted := false
	for _, p := range ps {
		weighted = weighted || p.weighted
		st.Samples += p.samples
		st.Filtered += p.filtered
		st.Truncated = st.Truncated || p.truncated
	}
	return st, unit(event, weighted)
}

// readAll parses r through buf, which grows only for a line longer than it.
func (p *parser) readAll(r io.Reader, buf []byte) error {
	have := 0
	for {
		n, eof, err := stream.Fill(r, buf[have:])
		have += n
		if err != nil {
			return err
		}
		used := p.feed(buf[:have], eof)
		if eof {
			return nil
		}
		have = copy(buf, buf[used:have])
		if have == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}
