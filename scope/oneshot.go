package scope

import (
	"errors"
	"fmt"
	"io"

	"github.com/flamekit/flamekit/flamegraph"
)

// ReadHeatMap returns the heat map of the profile r holds, read as Read
// reads it, with the format it read: the heat map Read's profile gives,
// made more cheaply when one heat map is all that is wanted. Perf script
// text is read in one pass that keeps no stack, only a count a cell (see
// the package doc): it names no stack either, so text with a sample that
// collapse.Perf cannot name, which Read fails on, has a heat map here.
// Other formats are read whole.
func ReadHeatMap(r io.Reader, ropts ReadOptions, opts Options) (*HeatMap, Format, error) {
	if _, err := opts.rows(); err != nil {
		return nil, "", err
	}
	br, f, err := open(r, ropts.Format)
	if err != nil {
		return nil, "", err
	}
	if f == FormatPerfScript {
		h, err := perfHeatMap(br, opts)
		return h, f, err
	}
	p, err := readFormat(br, f, ropts)
	if err != nil {
		return nil, f, err
	}
	h, err := p.HeatMap(opts)
	return h, f, err
}

// ReadRange returns the folded profile of the samples in rg of the profile
// r holds, read as Read reads it, with the format it read: what Read's
// profile's Range gives, made more cheaply when one range is all that is
// wanted. Perf script text, when r is an io.Seeker (a file), is read in
// one pass that keeps no stack: the samples in the range are named and
// folded as they are read, with collapse.Perf. Which samples those are
// depends on the profile's first second, known once every sample is read:
// the pass takes it to be the first sample's and, in the rare input where
// perf script wrote an earlier sample after it, reads r again from where
// it was. Other readers and formats are read whole.
func ReadRange(r io.Reader, rg Range, ropts ReadOptions, opts Options) (*flamegraph.Profile, Format, error) {
	var sink profileSink
	f, err := foldRange(r, rg, ropts, opts, &sink)
	if err != nil {
		return nil, f, err
	}
	return sink.p, f, nil
}

// WriteRangeFolded writes to w the folded stacks of ReadRange's profile,
// the bytes its WriteTo writes, with the format it read, without making
// the profile: of perf script text the stacks are written as
// collapse.PerfWriteFolded writes them, so their texts are never in
// memory at once. On an error nothing is written.
func WriteRangeFolded(w io.Writer, r io.Reader, rg Range, ropts ReadOptions, opts Options) (Format, error) {
	return foldRange(r, rg, ropts, opts, writerSink{w})
}

// foldRange gives sink the samples in rg of the profile r holds, and
// returns the format it read (see ReadRange).
func foldRange(r io.Reader, rg Range, ropts ReadOptions, opts Options, sink rangeSink) (Format, error) {
	s, seekable := r.(io.Seeker)
	var at int64
	if seekable {
		var err error
		at, err = s.Seek(0, io.SeekCurrent)
		seekable = err == nil
	}
	br, f, err := open(r, ropts.Format)
	if err != nil {
		return "", err
	}
	base, found := 0.0, false
	if f == FormatPerfScript && seekable {
		base, found = firstSecond(br)
	}
	if !found {
		p, err := readFormat(br, f, ropts)
		if err != nil {
			return f, err
		}
		fg, err := p.Range(rg, opts)
		if err != nil {
			return f, err
		}
		return f, sink.whole(fg)
	}
	err = perfRange(br, rg, base, ropts.Perf, opts, sink)
	var miss *windowMiss
	if !errors.As(err, &miss) {
		return f, err
	}
	if _, err := s.Seek(at, io.SeekStart); err != nil {
		return f, fmt.Errorf("scope: reading again: %w", err)
	}
	if br, _, err = open(r, f); err != nil {
		return f, err
	}
	return f, perfRange(br, rg, miss.base, ropts.Perf, opts, sink)
}
