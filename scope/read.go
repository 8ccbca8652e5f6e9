package scope

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// Format names a timed input format.
type Format string

// The formats Read reads.
const (
	FormatAuto       Format = ""            // detect it
	FormatPerfScript Format = "perf-script" // ReadPerfScript
	FormatCPUProfile Format = "cpuprofile"  // ReadCPUProfile
	FormatPprof      Format = "pprof"       // ReadPprof
)

// ReadOptions selects the input format and passes options to its reader.
type ReadOptions struct {
	Format Format
	Perf   PerfOptions
}

// Read reads a timed profile in opts.Format, or, when it is FormatAuto, in
// the format it detects (gzipped input is decompressed first): a JSON
// object is a .cpuprofile, binary bytes (a NUL or another control byte
// than white space in the first 512) a pprof protobuf, and anything else
// perf script text. It returns the format it read.
func Read(r io.Reader, opts ReadOptions) (*Profile, Format, error) {
	br, f, err := open(r, opts.Format)
	if err != nil {
		return nil, "", err
	}
	p, err := readFormat(br, f, opts)
	return p, f, err
}

// open returns a buffered reader of r's bytes, decompressed when they are
// gzipped, and the format f, or, when f is FormatAuto, the one detected.
func open(r io.Reader, f Format) (*bufio.Reader, Format, error) {
	br, err := gunzipped(r)
	if err != nil {
		return nil, "", err
	}
	if f == FormatAuto {
		head, _ := br.Peek(512)
		f = detect(head)
	}
	switch f {
	case FormatPerfScript, FormatCPUProfile, FormatPprof:
		return br, f, nil
	}
	return nil, "", fmt.Errorf("%w: format %q (perf-script, cpuprofile, pprof)", ErrFormat, f)
}

// readFormat reads a profile of format f (one open returned) from br.
func readFormat(br *bufio.Reader, f Format, opts ReadOptions) (*Profile, error) {
	switch f {
	case FormatCPUProfile:
		return ReadCPUProfile(br)
	case FormatPprof:
		return ReadPprof(br)
	}
	return ReadPerfScript(br, opts.Perf)
}

// detect names the format whose first bytes are head.
func detect(head []byte) Format {
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' {
			return FormatPprof
		}
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return FormatCPUProfile
	}
	return FormatPerfScript
}
