package scope

import (
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
	br, err := gunzipped(r)
	if err != nil {
		return nil, "", err
	}
	f := opts.Format
	if f == FormatAuto {
		head, _ := br.Peek(512)
		f = detect(head)
	}
	var p *Profile
	switch f {
	case FormatPerfScript:
		p, err = ReadPerfScript(br, opts.Perf)
	case FormatCPUProfile:
		p, err = ReadCPUProfile(br)
	case FormatPprof:
		p, err = ReadPprof(br)
	default:
		return nil, "", fmt.Errorf("%w: format %q (perf-script, cpuprofile, pprof)", ErrFormat, f)
	}
	return p, f, err
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
