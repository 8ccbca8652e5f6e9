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

// rangeSink is what becomes of a range's samples: a folded profile
// (ReadRange) or its folded text (WriteRangeFolded).
type rangeSink interface {
	// whole takes the range of a profile read whole.
	whole(p *flamegraph.Profile) error
	// fold folds perf script text, as collapse.Perf does, until text ends
	// or fails; it makes nothing of text that fails.
	fold(text io.Reader, opts collapse.PerfOptions) error
}

// profileSink keeps the range's profile.
type profileSink struct{ p *flamegraph.Profile }

func (s *profileSink) whole(p *flamegraph.Profile) error {
	s.p = p
	return nil
}

func (s *profileSink) fold(text io.Reader, opts collapse.PerfOptions) error {
	p, _, err := collapse.Perf(text, opts)
	if err != nil {
		return namingError{fmt.Errorf("scope: naming stacks: %w", err)}
	}
	s.p = &flamegraph.Profile{Stacks: p.Stacks}
	return nil
}

// writerSink writes the range's folded text to w.
type writerSink struct{ w io.Writer }

func (s writerSink) whole(p *flamegraph.Profile) error {
	_, err := p.WriteTo(s.w)
	return err
}

func (s writerSink) fold(text io.Reader, opts collapse.PerfOptions) error {
	_, _, err := collapse.PerfWriteFolded(s.w, text, opts)
	return err
}

// perfRange reads perf script text and gives sink the samples in rg,
// counted from base: each sample in that window (and counted: not idle,
// or opts.Idle) is copied, as collapse.Perf names it (perfPass.text), to
// sink.fold, which folds them as the text is read. The goroutines that
// parse the chunks write their text as soon as they are parsed, in any
// order, which folding does not see. When the text's samples are not the
// range's, the text fails, so that sink makes nothing of it, and
// perfRange returns why: a *windowMiss when the profile's first second is
// not base, or the error Read's profile's Range gives.
func perfRange(r io.Reader, rg Range, base float64, popts PerfOptions, opts Options, sink rangeSink) error {
	w := window{base + rg.Start, base + rg.End}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := sink.fold(pr, collapse.PerfOptions{Kernel: popts.Kernel, JIT: popts.JIT, Addrs: popts.Addrs})
		pr.CloseWithError(err) // unblock the writes when it fails
		done <- err
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
	if err == nil {
		err = checkRange(rg, base, n, copied, first, last)
	}
	if err != nil {
		pw.CloseWithError(err)
		<-done
		return err
	}
	pw.Close()
	return <-done
}

// checkRange returns the error, if any, of a range pass that read n
// samples from first to last seconds and copied those of rg counted from
// base: those a whole read and Range give, or a *windowMiss.
func checkRange(rg Range, base float64, n, copied int, first, last float64) error {
	if n == 0 {
		return ErrNoSamples
	}
	if err := checkSpan(first, last); err != nil {
		return err
	}
	p := &Profile{start: first, end: last}
	if _, _, err := p.samples(rg); err != nil {
		return err
	}
	if b := math.Floor(first); b != base {
		return &windowMiss{b}
	}
	if copied == 0 {
		return fmt.Errorf("%w: %v", ErrRangeEmpty, rg)
	}
	return nil
}
