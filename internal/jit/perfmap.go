package jit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// PerfMap is a parsed perf map, the /tmp/perf-PID.map file in which JIT
// compilers (the JVM, V8, CPython, .NET, ...) name the code they generate.
// Its zero value names nothing.
type PerfMap struct {
	// Bad counts the lines that could not be parsed and were skipped.
	Bad   int
	syms  []perfMapSym
	index []segment
}

type perfMapSym struct {
	start, size uint64
	name        string
}

// Symbol is a piece of JIT-compiled code named by a perf map or a
// jitdump.
type Symbol struct {
	Name  string
	Start uint64 // address of the code's first byte
	Size  uint64
	File  string // source file, from a jitdump's DEBUG_INFO; "" when unknown
	Line  int    // source line; 0 when unknown
}

// maxPerfMapLine bounds a perf map line; longer lines are counted in Bad.
const maxPerfMapLine = 64 << 10

// ParsePerfMap parses a perf map: lines of "START SIZE NAME" with START and
// SIZE in hexadecimal, with or without a 0x prefix (the JVM writes it,
// zero-padded), and NAME the rest of the line (spaces allowed). Lines may
// come in any order and may end in CRLF. When ranges overlap, the later line
// wins: JIT compilers reuse memory and append a new line for the new code.
// Malformed lines are skipped and counted in Bad; only a read error fails.
func ParsePerfMap(r io.Reader) (*PerfMap, error) {
	m := new(PerfMap)
	var spans []span
	br := bufio.NewReaderSize(r, maxPerfMapLine)
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			m.Bad++
			err = skipLine(br)
		case len(bytes.TrimSpace(line)) == 0:
		default:
			sym, end, ok := parsePerfMapLine(line)
			if !ok {
				m.Bad++
				break
			}
			m.syms = append(m.syms, sym)
			spans = append(spans, span{sym.start, end})
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("perf map: %w", err)
		}
	}
	m.index = latestWins(spans)
	return m, nil
}

// skipLine discards the rest of an overlong line.
func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

func parsePerfMapLine(line []byte) (sym perfMapSym, end uint64, ok bool) {
	line = bytes.TrimRight(line, "\r\n")
	start, rest, ok1 := bytes.Cut(bytes.TrimLeft(line, " \t"), []byte{' '})
	size, name, ok2 := bytes.Cut(bytes.TrimLeft(rest, " \t"), []byte{' '})
	if !ok1 || !ok2 || len(name) == 0 {
		return sym, 0, false
	}
	s, err1 := parseHex(start)
	n, err2 := parseHex(size)
	if err1 != nil || err2 != nil || s+n < s {
		return sym, 0, false
	}
	return perfMapSym{start: s, size: n, name: string(name)}, s + n, true
}

// parseHex parses a hexadecimal number with an optional 0x or 0X prefix.
func parseHex(b []byte) (uint64, error) {
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	return strconv.ParseUint(string(b), 16, 64)
}

// Lookup returns the code that holds addr.
func (m *PerfMap) Lookup(addr uint64) (Symbol, bool) {
	i, ok := lookupSegment(m.index, addr)
	if !ok {
		return Symbol{}, false
	}
	s := m.syms[i]
	return Symbol{Name: s.name, Start: s.start, Size: s.size}, true
}

// Len returns the number of symbols read (overlapped ones included).
func (m *PerfMap) Len() int { return len(m.syms) }
