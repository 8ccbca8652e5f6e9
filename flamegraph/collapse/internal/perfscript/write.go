package perfscript

import (
	"bufio"
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

// writeFolded writes the parser's stacks in folded form, sorted by their
// texts, each text made in the output buffer.
func (p *parser) writeFolded(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	texts := p.nameTexts()
	for _, i := range p.sortedOrder() {
		line := p.appendText(bw.AvailableBuffer(), i, texts)
		line = append(line, ' ')
		line = flamegraph.AppendCount(line, p.counts[i])
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}
