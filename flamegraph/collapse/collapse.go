package collapse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
)

// Format names an input format that Read understands.
type Format string

// The formats Read knows.
const (
	// FormatAuto asks Read to detect the format from the first bytes.
	FormatAuto Format = "auto"
	// FormatPerf is `perf script` output.
	FormatPerf Format = "perf"
	// FormatPprof is a pprof protobuf profile, gzipped or not.
	FormatPprof Format = "pprof"
	// FormatBpftrace is bpftrace map output.
	FormatBpftrace Format = "bpftrace"
	// FormatFolded is folded stacks ("a;b;c 42"), including the output of
	// bcc's `profile -f` and `offcputime -f`.
	FormatFolded Format = "folded"
)

// formats lists the concrete formats in the order ParseFormat reports them.
var formats = []Format{FormatAuto, FormatPerf, FormatPprof, FormatBpftrace, FormatFolded}

// ErrUnknownFormat is returned when Read cannot recognise its input, or when
// a format name is not one of the Format constants. The error says what was
// tried; a program can let its user name the format instead.
var ErrUnknownFormat = errors.New("collapse: unknown input format")

// ParseFormat returns the Format named by s (case-insensitive; "" means
// FormatAuto), for command-line flags. An unknown name returns an error
// wrapping ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	if s == "" {
		return FormatAuto, nil
	}
	for _, f := range formats {
		if strings.EqualFold(s, string(f)) {
			return f, nil
		}
	}
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("%w %q: want one of %s", ErrUnknownFormat, s, strings.Join(names, ", "))
}

// Options selects the input format and passes options to its reader. The
// zero value detects the format and uses each reader's defaults.
type Options struct {
	// Format is the input format; "" or FormatAuto detects it.
	Format Format
	// Perf is passed to Perf.
	Perf PerfOptions
	// Pprof is passed to Pprof.
	Pprof PprofOptions
	// Bpftrace is passed to Bpftrace.
	Bpftrace BpftraceOptions
}

// Stats says what a reader read besides the stacks it folded, for a program
// to report: the format, and what the reader of that format kept and left
// out. Every reader returns one beside the profile, and so does [Read]. The
// lines a reader could not use are counted in the profile's Skipped.
type Stats struct {
	// Format is the format read: the reader's own, or the one Read used.
	Format Format
	// Perf is what Perf read; the zero value for other formats.
	Perf PerfStats
}

// sniffSize is how many bytes Read looks at first to detect a format.
const sniffSize = 64 << 10

// maxSniff bounds what Read reads ahead to detect a format: the longest line
// flamegraph.Parse reads.
const maxSniff = 64 << 20

// Read reads a profile in the format opts.Format, or, when that is "" or
// FormatAuto, in the format it detects from the start of the input, and
// returns it with the [Stats] of the reader, whose Format is the format it
// used. Detection looks for a pprof protobuf,
// bpftrace map output ("@[" or "@name["), `perf script` samples (a header
// line followed by indented hex frame lines) and folded "stack count" lines,
// in that order, after skipping blank and '#' lines; input with nothing else
// is an empty folded profile. It reads the first 64 KiB, and more (up to 64
// MiB) while the line that decides goes on past them, so a folded file whose
// first stack is megabytes long is recognised. Gzipped input is decompressed
// first whatever it holds; a gzip stream cut short fails with an error
// wrapping io.ErrUnexpectedEOF, whichever reader was reading it.
// Undetectable input returns an error wrapping ErrUnknownFormat.
func Read(r io.Reader, opts Options) (*flamegraph.Profile, Stats, error) {
	format, in, err := open(r, opts.Format)
	if err != nil {
		return nil, Stats{}, err
	}
	switch format {
	case FormatPerf:
		return Perf(in, opts.Perf)
	case FormatPprof:
		return Pprof(in, opts.Pprof)
	case FormatBpftrace:
		return Bpftrace(in, opts.Bpftrace)
	}
	p, err := flamegraph.Parse(in)
	return p, Stats{Format: FormatFolded}, err
}

// open returns the format of r, detected as Read does it when format is ""
// or FormatAuto, and the input to read in that format: r, unzipped when it
// is gzipped.
func open(r io.Reader, format Format) (Format, io.Reader, error) {
	format, err := ParseFormat(string(format))
	if err != nil {
		return "", nil, err
	}
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return "", nil, fmt.Errorf("collapse: reading input: %w", err)
	}
	var in io.Reader = br
	if stream.IsGzip(head) {
		zr, err := stream.Gunzip(br)
		if err != nil {
			return "", nil, fmt.Errorf("collapse: reading gzip input: %w", err)
		}
		in = bufio.NewReaderSize(zr, sniffSize)
	}
	if format != FormatAuto {
		return format, in, nil
	}
	head, format, complete, more, err := sniff(in)
	if err != nil {
		return "", nil, fmt.Errorf("collapse: reading input: %w", err)
	}
	if format == "" && complete && isBlank(head) {
		// Nothing but blank and comment lines: an empty profile, which
		// a renderer reports as such, not an unknown format.
		format = FormatFolded
	}
	if format == "" {
		why := ""
		if more {
			why = fmt.Sprintf(" (its first %d MiB decide nothing)", maxSniff>>20)
		}
		return "", nil, fmt.Errorf("%w: not pprof, bpftrace map output, perf script or folded stacks; the input starts with %q%s",
			ErrUnknownFormat, firstLine(head), why)
	}
	return format, io.MultiReader(bytes.NewReader(head), in), nil
}

// WriteFolded reads a profile as Read does and writes it to w in folded
// form, as flamegraph.Profile.WriteTo writes Read's profile, with the same
// bytes. It returns the lines the reader skipped and its Stats. `perf
// script` input is written from the reader's own tables, without making
// the profile (see PerfWriteFolded). On a read error nothing is written.
func WriteFolded(w io.Writer, r io.Reader, opts Options) (flamegraph.Skipped, Stats, error) {
	format, in, err := open(r, opts.Format)
	if err != nil {
		return flamegraph.Skipped{}, Stats{}, err
	}
	if format == FormatPerf {
		return PerfWriteFolded(w, in, opts.Perf)
	}
	opts.Format = format
	p, stats, err := Read(in, opts)
	if err != nil {
		var skipped flamegraph.Skipped
		if p != nil {
			skipped = p.Skipped
		}
		return skipped, stats, err
	}
	_, err = p.WriteTo(w)
	return p.Skipped, stats, err
}

// sniff reads the start of r and detects its format: sniffSize bytes, then
// twice as many while detect asks for more, up to maxSniff. It returns the
// bytes read, which the reader of the format must get first, and whether
// they are the whole input.
func sniff(r io.Reader) (head []byte, f Format, complete, more bool, err error) {
	for size := sniffSize; ; size *= 2 {
		head = slices.Grow(head, size-len(head))
		n, eof, err := stream.Fill(r, head[len(head):size])
		head = head[:len(head)+n]
		if err != nil {
			return nil, "", false, false, err
		}
		f, more = detect(head, eof)
		if more && size >= maxSniff {
			// As far as Read looks: decide on what the lines show.
			f, _ = detect(head, true)
		}
		if !more || eof || size >= maxSniff {
			return head, f, eof, more, nil
		}
	}
}

// isBlank reports whether b holds only whitespace and '#' comment lines.
func isBlank(b []byte) bool {
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) > 0 && line[0] != '#' {
			return false
		}
	}
	return true
}

// firstLine returns the first line of b, cut to 60 bytes, for error messages.
func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}
