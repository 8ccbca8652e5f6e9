package collapse

import (
	"bytes"
	"regexp"

	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
)

var (
	// sniffBpftraceMap matches the start of a printed bpftrace map entry:
	// "@[", "@name[" or "@name: value".
	sniffBpftraceMap = regexp.MustCompile(`^@[A-Za-z0-9_]*[\[:]`)
	// bpftraceAttaching matches bpftrace's first line.
	bpftraceAttaching = regexp.MustCompile(`^Attaching [0-9]+ probes?\.\.\.$`)
	// sniffPerfHeader matches a `perf script` sample header with a time stamp:
	// "comm  PID[/TID] [CPU]  SECS.USECS:".
	sniffPerfHeader = regexp.MustCompile(`^\S.*?\s+[0-9]+(/[0-9]+)?\s+(\[[0-9]+\]\s+)?[0-9]+\.[0-9]+:(\s|$)`)
	// sniffPerfFrame matches an indented `perf script` frame: "\tHEX sym (dso)".
	sniffPerfFrame = regexp.MustCompile(`^\s+[0-9a-fA-F]+\s+\S`)
)

// detect returns the format of an input that starts with head, or "" when
// it recognises none. complete says head is the whole input. more says the
// answer needs more of the input: head ends inside the line that decides (a
// folded stack longer than head, a perf script sample header whose first
// frame line is not in head) or holds nothing but blank and comment lines.
func detect(head []byte, complete bool) (f Format, more bool) {
	if stream.IsGzip(head) {
		// Read decompresses gzip before detecting, so this is gzip inside
		// gzip: only pprof's parser copes with that.
		return FormatPprof, false
	}
	if !isText(head) {
		if looksLikePprof(head, complete) {
			return FormatPprof, false
		}
		return "", false
	}
	var lines [][]byte
	for rest := head; len(rest) > 0; {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		lines = append(lines, bytes.TrimRight(line, "\r"))
		rest = after
	}
	if !complete && (len(lines) == 0 || head[len(head)-1] == '\n') {
		lines = append(lines, nil) // the line the window has not reached
	}
	sawAttaching := false
	for i, line := range lines {
		// The last line of a window is partial: a prefix decides for
		// bpftrace and perf, a folded line must be seen whole.
		partial := !complete && i == len(lines)-1
		if !partial && (len(bytes.TrimSpace(line)) == 0 || line[0] == '#') {
			continue
		}
		switch {
		case sniffBpftraceMap.Match(line):
			return FormatBpftrace, false
		case !partial && bpftraceAttaching.Match(line):
			sawAttaching = true
			continue
		case perfHeaderPrefix(line, partial):
			return FormatPerf, false
		case partial:
			return "", true
		case line[0] != ' ' && line[0] != '\t':
			switch frame, more := sniffNextPerfFrame(lines[i+1:], complete); {
			case frame:
				return FormatPerf, false
			case more:
				return "", true
			}
		}
		switch {
		case sawAttaching:
			continue // bpftrace's other notices
		case isFoldedLine(line):
			return FormatFolded, false
		}
		return "", false
	}
	if sawAttaching {
		return FormatBpftrace, false
	}
	return "", false
}

// maxPerfHeader is as far into a line as a perf script sample header's time
// stamp is looked for: past the comm (16 bytes at most), PID, TID and CPU.
const maxPerfHeader = 512

// perfHeaderPrefix reports whether line starts with a perf script sample
// header. A partial line must show the blank after the time stamp's ':',
// which the whole line might not have.
func perfHeaderPrefix(line []byte, partial bool) bool {
	if len(line) > maxPerfHeader {
		line, partial = line[:maxPerfHeader], true
	}
	m := sniffPerfHeader.FindIndex(line)
	return m != nil && (!partial || line[m[1]-1] != ':')
}

// isFoldedLine reports whether line is a folded stack line: it starts with a
// frame and ends in a blank, a count (digits, maybe with a fraction) and
// maybe blanks; a differential line's first count is part of its frames
// here. It reads the line once, however long.
func isFoldedLine(line []byte) bool {
	if len(line) == 0 || isRegexpSpace(line[0]) {
		return false
	}
	line = bytes.TrimRight(line, " \t")
	i := bytes.LastIndexAny(line, " \t")
	if i < 1 {
		return false
	}
	whole, frac, dot := bytes.Cut(line[i+1:], []byte("."))
	return allDigits(whole) && (!dot || allDigits(frac))
}

// isRegexpSpace reports whether c is in regexp's \s: tab, LF, FF, CR or space.
func isRegexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// allDigits reports whether b is one or more ASCII digits.
func allDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// sniffNextPerfFrame reports whether the next non-blank line is an indented
// perf script frame line, or, with more, that the lines end before showing
// it and more of the input is needed.
func sniffNextPerfFrame(lines [][]byte, complete bool) (frame, more bool) {
	for i, l := range lines {
		if sniffPerfFrame.Match(l) {
			return true, false
		}
		if !complete && i == len(lines)-1 {
			return false, true // the partial last line may be a frame yet
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		return false, false
	}
	return false, !complete
}

// isText reports whether b has no control bytes other than tab, CR and LF.
func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return true
}

// looksLikePprof reports whether b is a well-formed pprof protobuf message
// (see scanPprof), or the start of one: cut by the sniff window unless
// complete, or, when complete, a stream cut short after at least one whole
// field, which Pprof then reports as such.
func looksLikePprof(b []byte, complete bool) bool {
	fields, cut, ok := scanPprof(b)
	return ok && (fields > 0 || cut && !complete)
}

// scanPprof walks the top-level fields of a protobuf message using only the
// fields and wire types of pprof's Profile message (profile.proto): 1-6 and
// 11 are messages or strings, 7-10, 12, 14 and 15 are varints, and 13
// (comment) is a varint or packed. It returns the number of whole fields,
// whether the last one runs past the end of b (cut), and whether everything
// seen fits that message (ok).
func scanPprof(b []byte) (fields int, cut, ok bool) {
	for len(b) > 0 {
		tag, n := uvarint(b)
		if n <= 0 {
			return fields, n == 0, n == 0
		}
		b = b[n:]
		field, wire := tag>>3, tag&7
		switch {
		case wire == 2 && (field >= 1 && field <= 6 || field == 11 || field == 13):
			size, n := uvarint(b)
			if n < 0 || size > 1<<31 {
				return fields, false, false
			}
			if n == 0 || size > uint64(len(b)-n) {
				return fields, true, true
			}
			b = b[n+int(size):]
		case wire == 0 && (field >= 7 && field <= 10 || field >= 12 && field <= 15):
			_, n := uvarint(b)
			if n < 0 {
				return fields, false, false
			}
			if n == 0 {
				return fields, true, true
			}
			b = b[n:]
		default:
			return fields, false, false
		}
		fields++
	}
	return fields, false, true
}

// uvarint decodes a protobuf varint. n is the bytes used, 0 when b ends
// before the varint does, and -1 when the varint is longer than 10 bytes.
func uvarint(b []byte) (v uint64, n int) {
	for i, c := range b {
		if i == 10 {
			return 0, -1
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}
