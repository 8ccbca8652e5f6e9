package scope

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse"
)

// window is the times, lo <= t <= hi, of the samples a range pass folds.
type window struct{ lo, hi float64 }

// windowMiss is perfRange's answer when the samples it folded are not the
// range's: the profile's first second is base, not the one it was given.
type windowMiss struct{ base float64 }

func (m *windowMiss) Error() string {
	return fmt.Sprintf("scope: the profile starts at second %v, not at its first sample's", m.base)
}

// firstSecond returns the whole second of the first sample of the perf
// script text br holds, if its header is in br's buffer.
func firstSecond(br *bufio.Reader) (float64, bool) {
	head, _ := br.Peek(br.Size())
	for {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			return 0, false
		}
		l := head[:i]
		head = head[i+1:]
		if len(l) == 0 || l[0] == '#' || l[0] == '\t' {
			continue
		}
		ts, ok := perfTime(bytes.TrimSuffix(l, []byte("\r")))
		if !ok {
			continue // blank, a frame line, or an error the pass reports
		}
		v, err := strconv.ParseFloat(string(ts), 64)
		return math.Floor(v), err == nil
	}
}

// perfRange reads perf script text and returns the folded profile of the
// samples in w, where rg is, counted from base. Each sample in w (and
// counted: not idle, or opts.Idle) is copied, as collapse.Perf names it
// (perfPass.text), to collapse.Perf, which folds them as the text is
// read; the goroutines that parse the chunks write their text as soon as
// they are parsed, in any order, which folding does not see. It returns a *windowMiss when the profile's first second is not
// base.
func perfRange(r io.Reader, rg Range, base float64, popts PerfOptions, opts Options) (*flamegraph.Profile, error) {
	w := window{base + rg.Start, base + rg.End}
	pr, pw := io.Pipe()
	type folded struct {
		p   *flamegraph.Profile
		err error
	}
	done := make(chan folded, 1)
	go func() {
		p, _, err := collapse.Perf(pr, collapse.PerfOptions{Kernel: popts.Kernel, JIT: popts.JIT, Addrs: popts.Addrs})
		pr.CloseWithError(err) // unblock the writes when it fails
		done <- folded{p, err}
	}()
	n, copied, first, last := 0, 0, math.Inf(1), math.Inf(-1)
	pass := &perfPass{raw: popts.Addrs, text: &w, idle: opts.Idle, out: pw, spare: make(chan []byte, 8)}
	err := readPerf(r, pass, func(c *perfChunk) {
		for _, t := range c.times {
			first, last = min(first, t), max(last, t)
		}
		n += len(c.times)
		copied += c.copied
	})
	pw.Close()
	f := <-done
	switch {
	case err != nil:
		return nil, err
	case n == 0:
		return nil, ErrNoSamples
	}
	if err := checkSpan(first, last); err != nil {
		return nil, err
	}
	p := &Profile{start: first, end: last}
	if _, _, err := p.samples(rg); err != nil {
		return nil, err
	}
	if b := math.Floor(first); b != base {
		return nil, &windowMiss{b}
	}
	if copied == 0 {
		return nil, fmt.Errorf("%w: %v", ErrRangeEmpty, rg)
	}
	if f.err != nil {
		return nil, fmt.Errorf("%w: %w", errNaming, f.err)
	}
	return &flamegraph.Profile{Stacks: f.p.Stacks}, nil
}
