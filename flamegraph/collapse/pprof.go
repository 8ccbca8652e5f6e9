package collapse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
	"github.com/google/pprof/profile"
)

// ErrSampleType is returned by Pprof when the requested sample type is not
// in the profile; the error's message lists the types it has.
var ErrSampleType = errors.New("collapse: no such pprof sample type")

// PprofOptions selects which of a pprof profile's values becomes the count.
// The zero value uses the profile's default sample type, as `go tool pprof`
// does: DefaultSampleType when the profile names one, otherwise the last
// type (cpu/nanoseconds for a Go CPU profile, inuse_space/bytes for a heap
// profile).
type PprofOptions struct {
	// SampleType selects a sample type by name, such as "samples", "cpu",
	// "alloc_space" or "contentions".
	SampleType string
	// SampleIndex selects a sample type by its position, counting from 1:
	// 1 is the first type the profile lists. 0 leaves the choice to
	// SampleType. Setting both is an error unless they name the same type.
	SampleIndex int
}

// Pprof folds a pprof protobuf profile, gzipped or not (profile.Parse also
// accepts pprof's legacy text formats). A profile cut short, a gzip stream
// or a protobuf that ends inside a field, fails with an error wrapping
// io.ErrUnexpectedEOF. Each sample becomes a stack whose count is its value
// of the chosen sample type; samples whose value is zero or negative are
// left out.
//
// Frames are function names, root first. A location with inlined calls gives
// one frame per function: the function the code was inlined into is plain,
// and each function inlined into it carries [flamegraph.InlinedSuffix]
// ("_[i]"), as stackcollapse-perf.pl marks inlined frames (flamegraph.pl
// colours them aqua). A location without symbols becomes "[file+0xOFFSET]",
// from the basename of its mapping's file and the address's offset in that
// file, or [flamegraph.UnknownFrame] without a mapping. Names are made one
// frame each by [flamegraph.FrameName]: ';' becomes ':' and line breaks
// become spaces. Labels are ignored.
//
// The profile's Unit is the chosen sample type's unit, such as
// "nanoseconds" (cpu) or "bytes" (alloc_space, inuse_space); a type that
// counts ("count": samples, alloc_objects, contentions) leaves it empty,
// which flame graphs call samples. The returned [Stats] names the format.
func Pprof(r io.Reader, opts PprofOptions) (*flamegraph.Profile, Stats, error) {
	stats := Stats{Format: FormatPprof}
	data, err := readPprof(r)
	if err != nil {
		return nil, stats, fmt.Errorf("collapse: reading pprof profile: %w", err)
	}
	pp, err := profile.ParseData(data)
	if err != nil {
		if _, cut, ok := scanPprof(data); ok && cut {
			return nil, stats, fmt.Errorf("collapse: parsing pprof profile: the protobuf ends inside a field: %w", io.ErrUnexpectedEOF)
		}
		return nil, stats, fmt.Errorf("collapse: parsing pprof profile: %w", err)
	}
	idx, err := sampleIndex(pp, opts)
	if err != nil {
		return nil, stats, err
	}
	p := &flamegraph.Profile{Unit: pprofUnit(pp.SampleType[idx].Unit)}
	names := map[*profile.Location]string{}
	var b strings.Builder
	for _, s := range pp.Sample {
		if idx >= len(s.Value) || s.Value[idx] <= 0 {
			continue
		}
		b.Reset()
		for i := len(s.Location) - 1; i >= 0; i-- {
			loc := s.Location[i]
			name, ok := names[loc]
			if !ok {
				name = locationFrames(loc)
				names[loc] = name
			}
			if b.Len() > 0 {
				b.WriteByte(';')
			}
			b.WriteString(name)
		}
		if b.Len() == 0 {
			b.WriteString(flamegraph.UnknownFrame)
		}
		p.Add(b.String(), float64(s.Value[idx]))
	}
	return p, stats, nil
}

// sampleIndex returns the index of the sample type opts selects.
func sampleIndex(pp *profile.Profile, opts PprofOptions) (int, error) {
	types := pp.SampleType
	if len(types) == 0 {
		return 0, fmt.Errorf("%w: the profile has no sample types", ErrSampleType)
	}
	byName := -1
	if opts.SampleType != "" {
		for i, t := range types {
			if t.Type == opts.SampleType {
				byName = i
				break
			}
		}
		if byName < 0 {
			return 0, fmt.Errorf("%w %q; the profile has %s", ErrSampleType, opts.SampleType, listTypes(types))
		}
	}
	switch {
	case opts.SampleIndex < 0 || opts.SampleIndex > len(types):
		return 0, fmt.Errorf("%w: index %d is out of range 1..%d; the profile has %s",
			ErrSampleType, opts.SampleIndex, len(types), listTypes(types))
	case opts.SampleIndex > 0 && byName >= 0 && byName != opts.SampleIndex-1:
		return 0, fmt.Errorf("%w: SampleType %q and SampleIndex %d name different types; the profile has %s",
			ErrSampleType, opts.SampleType, opts.SampleIndex, listTypes(types))
	case opts.SampleIndex > 0:
		return opts.SampleIndex - 1, nil
	case byName >= 0:
		return byName, nil
	}
	for i, t := range types {
		if pp.DefaultSampleType != "" && t.Type == pp.DefaultSampleType {
			return i, nil
		}
	}
	return len(types) - 1, nil
}

// pprofUnit is the Profile.Unit of a pprof sample type's unit.
func pprofUnit(unit string) string {
	if unit == "count" {
		return ""
	}
	return unit
}

// listTypes describes sample types as "1 samples/count, 2 cpu/nanoseconds".
func listTypes(types []*profile.ValueType) string {
	s := make([]string, len(types))
	for i, t := range types {
		s[i] = strconv.Itoa(i+1) + " " + t.Type + "/" + t.Unit
	}
	return strings.Join(s, ", ")
}

// locationFrames returns a location's frames, outermost first, joined by ';'.
func locationFrames(loc *profile.Location) string {
	if len(loc.Line) == 0 {
		return addressFrame(loc)
	}
	var b strings.Builder
	for i := len(loc.Line) - 1; i >= 0; i-- {
		f := loc.Line[i].Function // never nil: profile.Parse checks
		name := f.Name
		if name == "" {
			name = f.SystemName
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(flamegraph.FrameName(name))
		if i < len(loc.Line)-1 {
			b.WriteString(flamegraph.InlinedSuffix)
		}
	}
	return b.String()
}

// addressFrame names a location that has no symbols.
func addressFrame(loc *profile.Location) string {
	m := loc.Mapping
	if m == nil || m.File == "" {
		return flamegraph.UnknownFrame
	}
	file := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m.File), "["), "]")
	if file != "" { // "[]": FrameName would name it unknown
		file = flamegraph.FrameName(file)
	}
	addr := loc.Address
	if addr >= m.Start && addr < m.Limit {
		addr = addr - m.Start + m.Offset
	}
	return "[" + file + "+0x" + strconv.FormatUint(addr, 16) + "]"
}

// maxGzipLayers bounds the gzip layers readPprof opens: a profile is gzipped
// once, sometimes twice (a .pb.gz gzipped again), never more, and a gzip
// quine would otherwise never end.
const maxGzipLayers = 4

// readPprof reads a profile and opens its gzip layers, so that a cut stream
// is reported as one (profile.Parse keeps only the text of its errors).
func readPprof(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(r)
	for layer := 0; err == nil && stream.IsGzip(data) && layer < maxGzipLayers; layer++ {
		var zr io.Reader
		if zr, err = stream.Gunzip(bytes.NewReader(data)); err == nil {
			data, err = io.ReadAll(zr)
		}
	}
	return data, err
}
