// Package collapse turns the output of other profilers into folded stacks,
// the input of flame graphs: one *flamegraph.Profile whose stacks list their
// frames from the root to the leaf.
//
// Each reader takes an io.Reader of one tool's output:
//
//   - Perf reads `perf script` text, as stackcollapse-perf.pl does.
//   - Pprof reads a pprof protobuf profile (gzipped or not), such as Go's
//     runtime/pprof and net/http/pprof write.
//   - Bpftrace reads the map output bpftrace prints at exit, such as
//     `@[kstack, ustack, comm] = count()`, as stackcollapse-bpftrace.pl does.
//   - bcc's `profile -f` and `offcputime -f` already print folded stacks;
//     flamegraph.Parse reads them.
//
// Read detects which of these it was given and dispatches. Readers are
// streaming and tolerant: malformed lines are counted in Profile.Skipped and
// never fail the read; only read errors and inputs that cannot be that format
// at all return an error. No input makes a reader panic or hang.
package collapse

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flamekit/flamekit/flamegraph"
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
// a format name is not one of the Format constants.
var ErrUnknownFormat = errors.New("collapse: unknown input format (want perf script, pprof, bpftrace or folded stacks)")

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
	return "", fmt.Errorf("%w: %q is not one of %s", ErrUnknownFormat, s, strings.Join(names, ", "))
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
}

// sniffSize is how many bytes Read looks at to detect a format.
const sniffSize = 64 << 10

// Read reads a profile in the format opts.Format, or, when that is "" or
// FormatAuto, in the format it detects from the first 64 KiB, and returns
// it with the format it used. Detection looks for a pprof protobuf, bpftrace
// map output ("@[" or "@name["), `perf script` samples (a header line followed
// by indented hex frame lines) and folded "stack count" lines, in that order,
// after skipping blank and '#' lines; input with nothing else is an empty
// folded profile. Gzipped input is decompressed first
// whatever it holds. Undetectable input returns an error wrapping
// ErrUnknownFormat.
func Read(r io.Reader, opts Options) (*flamegraph.Profile, Format, error) {
	format, err := ParseFormat(string(opts.Format))
	if err != nil {
		return nil, "", err
	}
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, "", fmt.Errorf("collapse: reading input: %w", err)
	}
	if isGzip(head) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("collapse: reading gzip input: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, sniffSize)
	}
	if format == FormatAuto {
		head, err := br.Peek(sniffSize)
		if err != nil && err != io.EOF {
			return nil, "", fmt.Errorf("collapse: reading input: %w", err)
		}
		format = detect(head, err == io.EOF)
		if format == "" && err == io.EOF && isBlank(head) {
			// Nothing but blank and comment lines: an empty profile, which
			// a renderer reports as such, not an unknown format.
			format = FormatFolded
		}
		if format == "" {
			return nil, "", fmt.Errorf("%w: input starts with %q", ErrUnknownFormat, firstLine(head))
		}
	}
	var p *flamegraph.Profile
	switch format {
	case FormatPerf:
		p, err = Perf(br, opts.Perf)
	case FormatPprof:
		p, err = Pprof(br, opts.Pprof)
	case FormatBpftrace:
		p, err = Bpftrace(br)
	case FormatFolded:
		p, err = flamegraph.Parse(br)
	}
	return p, format, err
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
