package perfscript

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// The name tidying of stackcollapse-perf.pl: ';' becomes ':'; all from the
// first '(' on is cut (argument lists), unless the name is a Go method
// ("pkg.(*T).M") or the '(' opens "(anonymous namespace)"; quotes go.

// simpleName returns the tidied form of a symbol when it is a prefix of the
// symbol: no "->", and no ';' or quote before the cut at '('. Otherwise it
// reports false and parser.rewrite does the work.
func simpleName(b []byte) ([]byte, bool) {
	// The first ';', '(', '"', '\'' or '>', eight bytes at a time.
	first, i := -1, 0
	for first < 0 && i < len(b) {
		if i+8 <= len(b) {
			if m := specials(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
			} else {
				i += 8
				continue
			}
		} else if class[b[i]]&clsSpecial == 0 {
			i++
			continue
		}
		switch b[i] {
		case '>':
			if i > 0 && b[i-1] == '-' {
				return nil, false
			}
		case '(':
			first = i
		default:
			return nil, false
		}
		i++
	}
	if first < 0 {
		return b, true
	}
	// An "->" after it?
	for ; i < len(b); i++ {
		if i+8 <= len(b) {
			if m := hasByte(binary.LittleEndian.Uint64(b[i:]), '>'); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
			} else {
				i += 7
				continue
			}
		}
		if b[i] == '>' && b[i-1] == '-' {
			return nil, false
		}
	}
	cut := cutAt(b, first)
	for _, c := range b[first:cut] {
		if c == ';' || c == '"' || c == '\'' {
			return nil, false
		}
	}
	return b[:cut], cut > 0
}

const (
	lo = 0x0101010101010101
	hi = 0x8080808080808080
)

// hasByte returns a mask whose lowest set bit is the high bit of the first
// byte of x (little-endian) equal to c, or 0 if none is.
func hasByte(x uint64, c byte) uint64 {
	y := x ^ lo*uint64(c)
	return (y - lo) &^ y & hi
}

// specials is hasByte for any of ; ( " ' >.
func specials(x uint64) uint64 {
	return hasByte(x, ';') | hasByte(x, '(') | hasByte(x, '"') | hasByte(x, '\'') | hasByte(x, '>')
}

// cutAt returns where tidying cuts a name whose first '(' is at first:
// there, unless the name is a Go method ("pkg.(*T).M", no cut) or the '('
// opens "(anonymous namespace)" (then at the next '(').
func cutAt(b []byte, first int) int {
	if isGoMethod(b, first) {
		return len(b)
	}
	for i := first; i < len(b); i++ {
		if b[i] == '(' && !bytes.HasPrefix(b[i+1:], []byte("anonymous namespace)")) {
			return i
		}
	}
	return len(b)
}

// tidy cleans a symbol in place and returns it: ';' becomes ':'; all from
// the first '(' on is cut, unless the name is a Go method ("pkg.(*T).M") or
// the '(' opens "(anonymous namespace)"; quotes go.
func tidy(b []byte) []byte {
	if i := bytes.IndexByte(b, '('); i >= 0 {
		b = b[:cutAt(b, i)]
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], ';')
		if j < 0 {
			break
		}
		i += j
		b[i] = ':'
	}
	if bytes.IndexByte(b, '"') < 0 && bytes.IndexByte(b, '\'') < 0 {
		return b
	}
	w := 0
	for _, c := range b {
		if c != '"' && c != '\'' {
			b[w] = c
			w++
		}
	}
	return b[:w]
}

// isGoMethod reports a ".(" with a ")." somewhere after it; first is the
// index of the first '(' (so a ".(" starts at first-1 or later).
func isGoMethod(b []byte, first int) bool {
	from := max(first-1, 0)
	a := bytes.Index(b[from:], []byte(".("))
	return a >= 0 && bytes.LastIndex(b, []byte(").")) >= from+a+2
}
