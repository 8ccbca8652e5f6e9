package demangle

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// constant parses and prints a <const>, as rustc-demangle does: integers
// in decimal (in hex after "0x" beyond 64 bits), bool, char and str
// literals, references, arrays, tuples and structs. Outside a value
// (inValue false: a generic argument), the constants that are not
// literals are put in braces: "{&[1, 2]}".
func (s *rustState) constant(inValue bool) {
	if !s.enter() {
		return
	}
	tag := s.next()
	braced := false
	brace := func() {
		if !inValue {
			braced = true
			s.printByte('{')
		}
	}
	switch tag {
	case 'p': // a placeholder
		s.printByte('_')
	case 'h', 't', 'm', 'y', 'o', 'j': // unsigned integers
		s.constUint()
	case 'a', 's', 'l', 'x', 'n', 'i': // signed integers
		if s.eat('n') {
			s.printByte('-')
		}
		s.constUint()
	case 'b':
		switch v, ok := s.constValue(); {
		case ok && v == 0:
			s.print("false")
		case ok && v == 1:
			s.print("true")
		default:
			s.fail()
		}
	case 'c':
		v, ok := s.constValue()
		if !ok || v > utf8.MaxRune || !utf8.ValidRune(rune(v)) {
			s.fail()
			break
		}
		s.printByte('\'')
		s.printEscaped(rune(v), '\'')
		s.printByte('\'')
	case 'e': // a str, printed as the place a literal refers to
		brace()
		s.printByte('*')
		s.constStr()
	case 'R', 'Q': // &T, &mut T
		if tag == 'R' && s.eat('e') { // &str: the literal itself
			s.constStr()
			break
		}
		brace()
		s.printByte('&')
		if tag == 'Q' {
			s.print("mut ")
		}
		s.constant(true)
	case 'A': // an array
		brace()
		s.printByte('[')
		s.constList()
		s.printByte(']')
	case 'T': // a tuple
		brace()
		s.printByte('(')
		if s.constList() == 1 {
			s.printByte(',')
		}
		s.printByte(')')
	case 'V': // a struct or an enum's variant
		brace()
		s.path(true)
		s.constFields()
	case 'B':
		if at, ok := s.backref(); ok {
			saved := s.pos
			s.pos = at
			s.constant(inValue)
			s.resume(saved)
		}
	default:
		s.fail()
	}
	if braced {
		s.printByte('}')
	}
	s.leave()
}

// constList parses and prints constants separated by ", " up to an "E",
// and returns how many there were.
func (s *rustState) constList() int {
	n := 0
	for ; !s.failed && !s.eat('E'); n++ {
		if n > 0 {
			s.print(", ")
		}
		s.constant(true)
	}
	return n
}

// constFields parses and prints the fields of a struct constant after its
// path: "U" (none), "T" and a tuple's, "S" and named ones.
func (s *rustState) constFields() {
	switch s.next() {
	case 'U':
	case 'T':
		s.printByte('(')
		s.constList()
		s.printByte(')')
	case 'S':
		s.print(" { ")
		for n := 0; !s.failed && !s.eat('E'); n++ {
			if n > 0 {
				s.print(", ")
			}
			s.disambiguator()
			s.printIdent(s.ident())
			s.print(": ")
			s.constant(true)
		}
		s.print(" }")
	default:
		s.fail()
	}
}

// hexNibbles parses lowercase hex digits up to a "_" and returns them.
func (s *rustState) hexNibbles() string {
	start := s.pos
	for {
		switch c := s.next(); {
		case c == '_':
			return s.in[start : s.pos-1]
		case s.failed:
			return ""
		default:
			if _, ok := lowerHex(c); !ok {
				s.fail()
				return ""
			}
		}
	}
}

// constValue parses hex digits up to a "_" and returns their value, and
// whether it fits in 64 bits.
func (s *rustState) constValue() (uint64, bool) {
	return hexValue(s.hexNibbles())
}

// hexValue returns the value of the lowercase hex digits nibbles, and
// whether it fits in 64 bits. No digits are 0.
func hexValue(nibbles string) (uint64, bool) {
	nibbles = strings.TrimLeft(nibbles, "0")
	if len(nibbles) > 16 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(nibbles); i++ {
		d, _ := lowerHex(nibbles[i])
		v = v<<4 | uint64(d)
	}
	return v, true
}

// constUint parses and prints the digits of an integer constant: in
// decimal, or beyond 64 bits in hex as written, after "0x".
func (s *rustState) constUint() {
	nibbles := s.hexNibbles()
	if v, ok := hexValue(nibbles); ok {
		s.printUint(v)
		return
	}
	s.print("0x")
	s.print(nibbles)
}

// constStr parses the bytes of a str constant, in hex, and prints them as
// a literal: "\"a\\nb\"". They must be UTF-8.
func (s *rustState) constStr() {
	nibbles := s.hexNibbles()
	if len(nibbles)%2 != 0 {
		s.fail()
		return
	}
	for i := 0; i < len(nibbles)/2; {
		_, n := hexRune(nibbles, i)
		if n == 0 {
			s.fail()
			return
		}
		i += n
	}
	if !s.printing() {
		return
	}
	s.printByte('"')
	for i := 0; i < len(nibbles)/2; {
		r, n := hexRune(nibbles, i)
		s.printEscaped(r, '"')
		i += n
	}
	s.printByte('"')
}

// hexRune decodes the UTF-8 character at byte i of the bytes that nibbles
// spells in hex, and returns it and its length, or 0 if it is not valid.
func hexRune(nibbles string, i int) (rune, int) {
	var b [utf8.UTFMax]byte
	n := 0
	for ; n < len(b) && 2*(i+n)+1 < len(nibbles); n++ {
		hi, _ := lowerHex(nibbles[2*(i+n)])
		lo, _ := lowerHex(nibbles[2*(i+n)+1])
		b[n] = hi<<4 | lo
	}
	r, size := utf8.DecodeRune(b[:n])
	if r == utf8.RuneError && size <= 1 {
		return 0, 0
	}
	return r, size
}

// printEscaped prints r as Rust's char::escape_debug does, within a
// literal between quotes: "\n", "\\", "\u{7f}"... The other kind of quote
// is not escaped.
func (s *rustState) printEscaped(r rune, quote rune) {
	if !s.printing() {
		return
	}
	switch {
	case r == '\'' && quote == '"', r == '"' && quote == '\'':
		s.printRune(r)
	case r == 0:
		s.print(`\0`)
	case r == '\t':
		s.print(`\t`)
	case r == '\r':
		s.print(`\r`)
	case r == '\n':
		s.print(`\n`)
	case r == '\\', r == '\'', r == '"':
		s.printByte('\\')
		s.printRune(r)
	case graphemeExtend(r) || !unicode.IsPrint(r):
		s.print(`\u{`)
		s.out = strconv.AppendUint(s.out, uint64(r), 16)
		s.printByte('}')
	default:
		s.printRune(r)
	}
}

// graphemeExtend reports whether r has Unicode's Grapheme_Extend property,
// which escape_debug escapes: such a character would combine with the
// quote or backslash before it.
func graphemeExtend(r rune) bool {
	return r >= 0x300 && unicode.In(r, unicode.Mn, unicode.Me, unicode.Other_Grapheme_Extend)
}

// printRune appends the UTF-8 encoding of r unless printing is skipped.
func (s *rustState) printRune(r rune) {
	if !s.printing() {
		return
	}
	s.out = utf8.AppendRune(s.out, r)
	if len(s.out)-s.start > maxRustText {
		s.fail()
	}
}

// printUint prints v in decimal unless printing is skipped.
func (s *rustState) printUint(v uint64) {
	if !s.printing() {
		return
	}
	s.out = strconv.AppendUint(s.out, v, 10)
	if len(s.out)-s.start > maxRustText {
		s.fail()
	}
}
