package collapse

import (
	"bytes"
	"regexp"
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
	// sniffFolded matches a folded stack line: frames, blanks, a count (and
	// maybe a second count).
	sniffFolded = regexp.MustCompile(`^\S.*[ \t][0-9]+(\.[0-9]+)?[ \t]*$`)
)

// isGzip reports whether b starts with the gzip magic number.
func isGzip(b []byte) bool {
	return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
}

// detect returns the format of an input that starts with head, or "" when
// it recognises none. complete says head is the whole input.
func detect(head []byte, complete bool) Format {
	if isGzip(head) {
		// Read decompresses gzip before detecting, so this is gzip inside
		// gzip: only pprof's parser copes with that.
		return FormatPprof
	}
	if !isText(head) {
		if looksLikePprof(head, complete) {
			return FormatPprof
		}
		return ""
	}
	var lines [][]byte
	for rest := head; len(rest) > 0; {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		lines = append(lines, bytes.TrimRight(line, "\r"))
		rest = after
	}
	sawAttaching := false
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 || line[0] == '#' {
			continue
		}
		switch {
		case sniffBpftraceMap.Match(line):
			return FormatBpftrace
		case bpftraceAttaching.Match(line):
			sawAttaching = true
			continue
		case sniffPerfHeader.Match(line), line[0] != ' ' && line[0] != '\t' && sniffNextPerfFrame(lines[i+1:]):
			return FormatPerf
		case sawAttaching:
			continue // bpftrace's other notices
		case sniffFolded.Match(line):
			return FormatFolded
		}
		return ""
	}
	if sawAttaching {
		return FormatBpftrace
	}
	return ""
}

// sniffNextPerfFrame reports whether the next non-blank line is an indented
// perf script frame line.
func sniffNextPerfFrame(lines [][]byte) bool {
	for _, l := range lines {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		return sniffPerfFrame.Match(l)
	}
	return false
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

// looksLikePprof reports whether b is a well-formed protobuf message, or
// prefix of one unless complete, using only the fields and wire types of
// pprof's Profile message (profile.proto): 1-6 and 11 are messages or
// strings, 7-10, 12, 14 and 15 are varints, and 13 (comment) is a varint or
// packed.
func looksLikePprof(b []byte, complete bool) bool {
	fields := 0
	for len(b) > 0 {
		tag, n := uvarint(b)
		if n <= 0 {
			return n == 0 && !complete && fields > 0 // cut off by the sniff window
		}
		b = b[n:]
		field, wire := tag>>3, tag&7
		switch {
		case wire == 2 && (field >= 1 && field <= 6 || field == 11 || field == 13):
			size, n := uvarint(b)
			if n < 0 || size > 1<<31 {
				return false
			}
			if n == 0 || size > uint64(len(b)-n) {
				return !complete // cut off by the sniff window
			}
			b = b[n+int(size):]
		case wire == 0 && (field >= 7 && field <= 10 || field >= 12 && field <= 15):
			_, n := uvarint(b)
			if n < 0 {
				return false
			}
			if n == 0 {
				return !complete
			}
			b = b[n:]
		default:
			return false
		}
		fields++
	}
	return fields > 0
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
