package perfscript

import (
	"io"

	"github.com/flamekit/flamekit/flamegraph"
)

// WriteFolded folds the `perf script` text r holds, as Read does, and
// writes the stacks to w in folded form, as flamegraph.Profile.WriteTo
// writes Read's profile, with the same bytes. With one goroutine the stack
// texts go from the stacks' name ids straight into the output buffer,
// never all in memory at once (9.7 MB for the real capture of
// bench/collapse-render: a page fault for each 4 KiB, and a copy). It
// returns the lines skipped and the stats. A read error is returned as it
// is, with the skipped lines and stats of what was read before it, and
// then nothing is written.
func WriteFolded(w io.Writer, r io.Reader, opts Options, sizes Sizes) (flamegraph.Skipped, Stats, error) {
	ps, event, err := readParsers(r, opts, sizes)
	defer releaseAll(ps)
	st, _ := summary(ps, event)
	skipped := ps[0].skipped
	if err != nil {
		return skipped, st, err
	}
	if len(ps) > 1 {
		_, err = merge(ps).WriteTo(w)
		return skipped, st, err
	}
	return skipped, st, ps[0].writeFolded(w)
}

// writeChunk is how many bytes of folded lines writeFolded writes at once,
// at least. Written to a file, as bench/collapse-render writes them, the
// 9.7 MB of the real capture took 1.3 ms less in writes of 1 MiB than of
// 64 KiB (the kernel makes the file's page cache in bigger pieces); 2 MiB
// or all at once took no less.
const writeChunk = 1 << 20

// writeFolded writes the parser's stacks in folded form, sorted by their
// texts, each text made in the output buffer, which is written when it
// holds writeChunk bytes. (Made in what a bufio.Writer had left, a line
// that did not fit was made again in a new slice, 150 times on the real
// capture of bench/collapse-render: 120 page faults.) The buffer is the
// spare arena of lines, which the sort is done with and whose pages are
// made already (a buffer of its own took a huge page more: 2 MiB of RSS).
//
// Stacks next to each other in sorted order share their first frames (on
// that capture, 63% of the bytes of a line are the line before's), so a
// line starts with one copy of those frames' bytes from the line before
// it, and only its other names are looked up and appended one by one: 6.7
// million fewer instructions of the 248 million of `flamekit collapse`
// (cachegrind), as the names' texts are scattered in memory and 20 bytes
// long on average.
func (p *parser) writeFolded(w io.Writer) error {
	order, buf := p.sortedOrder()
	if cap(buf) < 2*writeChunk {
		buf = regionMake[byte](&p.mem, 2*writeChunk)
	}
	buf = buf[:0]
	texts := p.nameTexts()
	// The line before: where it starts in buf, its stack's name ids
	// (leaf first) and ends[d], where in it its d-th name from the root
	// ends (its ';' then).
	var prev []uint32
	var ends []int
	start := 0
	for _, i := range order {
		seq := p.stacks.seq(int(i))
		if len(buf) >= writeChunk {
			// All but the line before, which the next one copies from.
			if _, err := w.Write(buf[:start]); err != nil {
				return err
			}
			buf = buf[:copy(buf, buf[start:])]
			start = 0
		}
		// The names from the root both lines have, each followed by ';'.
		d := 0
		for d < len(seq)-1 && d < len(prev)-1 && seq[len(seq)-1-d] == prev[len(prev)-1-d] {
			d++
		}
		at := len(buf)
		if d > 0 {
			buf = append(buf, buf[start:start+ends[d-1]+1]...)
		}
		ends = ends[:d]
		for j := len(seq) - 1 - d; j > 0; j-- {
			buf = append(buf, texts[seq[j]]...)
			ends = append(ends, len(buf)-at)
			buf = append(buf, ';')
		}
		buf = append(buf, texts[seq[0]]...)
		buf = append(buf, ' ')
		buf = flamegraph.AppendCount(buf, p.counts[i])
		buf = append(buf, '\n')
		prev, start = seq, at
	}
	if len(buf) > 0 {
		_, err := w.Write(buf)
		return err
	}
	return nil
}
