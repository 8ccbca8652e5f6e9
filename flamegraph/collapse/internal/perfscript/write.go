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
// at least.
const writeChunk = 64 << 10

// writeFolded writes the parser's stacks in folded form, sorted by their
// texts, each text made in the output buffer, which is written when it
// holds writeChunk bytes. (Made in what a bufio.Writer had left, a line
// that did not fit was made again in a new slice, 150 times on the real
// capture of bench/collapse-render: 120 page faults.)
func (p *parser) writeFolded(w io.Writer) error {
	buf := regionMake[byte](&p.mem, 2*writeChunk)[:0]
	texts := p.nameTexts()
	for _, i := range p.sortedOrder() {
		buf = p.appendText(buf, i, texts)
		buf = append(buf, ' ')
		buf = flamegraph.AppendCount(buf, p.counts[i])
		buf = append(buf, '\n')
		if len(buf) >= writeChunk {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		_, err := w.Write(buf)
		return err
	}
	return nil
}
