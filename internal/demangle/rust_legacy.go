package demangle

import (
	"strings"
	"unicode/utf8"
)

// legacyHashLen is the length of the hash part that ends a legacy Rust
// name: "17h" and 16 hex digits.
const legacyHashLen = len("17h0123456789abcdef")

// legacyBody returns the parts of the legacy Rust name, the name after
// "_ZN", without the hash, the closing "E" and the suffix, and whether it is
// one. It decides as c++filt does, so that the names it rejects are the C++
// names c++filt gives the Itanium demangler: the name holds only
// [A-Za-z0-9_$.], its parts cover it up to an "E" (then maybe a suffix
// starting with "."), and the last part is "h" and 16 lowercase hex digits
// of which at least 5 differ.
func legacyBody(name string) (string, bool) {
	p := trimLegacySuffix(name)
	if !strings.HasSuffix(p, "E") {
		return "", false
	}
	p = p[:len(p)-1]
	if len(p) <= legacyHashLen || p[len(p)-legacyHashLen:len(p)-legacyHashLen+3] != "17h" {
		return "", false // most C++ names end here
	}
	for i := 0; i < len(name); i++ {
		if nameBytes[name[i]]&legacyByte == 0 {
			return "", false
		}
	}
	var last string
	for rest := p; rest != ""; {
		part, n := legacyPart(rest)
		if n == 0 {
			return "", false
		}
		last, rest = part, rest[n:]
	}
	if !legacyHash(last) {
		return "", false
	}
	return p[:len(p)-legacyHashLen], true
}

// trimLegacySuffix returns p without the suffix LLVM or GCC may append to a
// legacy name (".llvm.1234", ".cold"): what follows the last "E." that
// ends the name proper. A name ending in "E" has none.
func trimLegacySuffix(p string) string {
	n, dot := len(p), true
	for n > 0 && !(dot && p[n-1] == 'E') {
		dot = p[n-1] == '.'
		n--
	}
	return p[:n]
}

// legacyPart returns the text of the part that p starts with, a decimal
// length and as many bytes, and the length of the whole, or 0 if p does
// not start with one. A part is never empty.
func legacyPart(p string) (string, int) {
	if p == "" || p[0] < '1' || p[0] > '9' {
		return "", 0
	}
	n, i := 0, 0
	for ; i < len(p) && isDigit(p[i]); i++ {
		n = n*10 + int(p[i]-'0')
		if n > len(p) {
			return "", 0
		}
	}
	if n > len(p)-i {
		return "", 0
	}
	return p[i : i+n], i + n
}

// legacyHash reports whether part is the hash of a legacy name: "h" and 16
// lowercase hex digits, at least 5 of them different (c++filt's test).
func legacyHash(part string) bool {
	if len(part) != 17 || part[0] != 'h' {
		return false
	}
	var seen uint16
	for i := 1; i < len(part); i++ {
		d, ok := lowerHex(part[i])
		if !ok {
			return false
		}
		seen |= 1 << d
	}
	distinct := 0
	for ; seen != 0; seen &= seen - 1 {
		distinct++
	}
	return distinct >= 5
}

// legacy prints the parts of body, a legacy name as legacyBody returns it,
// separated by "::". In Short style the generic arguments that the parts
// spell out ("Vec<T>") are left out.
func (s *rustState) legacy(body string) {
	for first := true; body != ""; first = false {
		part, n := legacyPart(body)
		body = body[n:]
		if !first {
			s.print("::")
		}
		s.legacyPart(part)
	}
	if s.short && !s.failed {
		s.out = append(s.out[:s.start], dropLegacyGenerics(s.out[s.start:])...)
	}
}

// legacyPart prints one part of a legacy name, decoding its escapes as
// rustc-demangle does: "$LT$" is "<", "$u7e$" is "~", ".." is "::". An
// unknown escape ends the decoding: the rest of the part is printed as it
// is.
func (s *rustState) legacyPart(part string) {
	// rustc puts "_" before a part that starts with an escape, so that it
	// starts with a letter.
	if strings.HasPrefix(part, "_$") {
		part = part[1:]
	}
	for part != "" {
		switch part[0] {
		case '.':
			if strings.HasPrefix(part, "..") {
				s.print("::")
				part = part[2:]
			} else {
				s.printByte('.')
				part = part[1:]
			}
		case '$':
			end := strings.IndexByte(part[1:], '$')
			if end < 0 {
				s.print(part)
				return
			}
			r, ok := legacyEscape(part[1 : 1+end])
			if !ok {
				s.print(part)
				return
			}
			s.printRune(r)
			part = part[end+2:]
		default:
			i := 1
			for i < len(part) && part[i] != '$' && part[i] != '.' {
				i++
			}
			s.print(part[:i])
			part = part[i:]
		}
	}
}

// legacyEscape returns the character of the escape esc, the text between
// two "$": a name, or "u" and a code point in lowercase hex that is not a
// control character.
func legacyEscape(esc string) (rune, bool) {
	switch esc {
	case "SP":
		return '@', true
	case "BP":
		return '*', true
	case "RF":
		return '&', true
	case "LT":
		return '<', true
	case "GT":
		return '>', true
	case "LP":
		return '(', true
	case "RP":
		return ')', true
	case "C":
		return ',', true
	}
	if len(esc) < 2 || esc[0] != 'u' {
		return 0, false
	}
	var v uint32
	for i := 1; i < len(esc); i++ {
		d, ok := lowerHex(esc[i])
		if !ok || v > utf8.MaxRune {
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	r := rune(v)
	if !utf8.ValidRune(r) || isControl(r) {
		return 0, false
	}
	return r, true
}

// dropLegacyGenerics removes from text, a demangled legacy name, the
// generic arguments that follow a name ("Vec<T,A>" becomes "Vec"), and
// returns what is left. A "<" that does not follow a name opens a
// qualified path ("<T as Trait>") and stays. The ">" of "->", which
// legacy names spell ".>", closes nothing.
func dropLegacyGenerics(text []byte) []byte {
	w, depth := 0, 0
	for i, c := range text {
		if depth == 0 {
			if c == '<' && w > 0 && isNameByte(text[w-1]) {
				depth = 1
				continue
			}
			text[w] = c
			w++
			continue
		}
		switch {
		case c == '<':
			depth++
		case c == '>' && text[i-1] != '.' && text[i-1] != '-':
			depth--
		}
	}
	return text[:w]
}

// isNameByte reports whether c may end a name: an ASCII letter, digit or
// underscore, or a byte of a non-ASCII character.
func isNameByte(c byte) bool { return isAlnum(c) || c == '_' || c >= utf8.RuneSelf }

// isControl reports whether r is a control character (Unicode category Cc).
func isControl(r rune) bool { return r < 0x20 || 0x7f <= r && r < 0xa0 }

func isAlnum(c byte) bool { return isDigit(c) || isLower(c) || isUpper(c) }

// lowerHex returns the value of the lowercase hex digit c.
func lowerHex(c byte) (byte, bool) {
	switch {
	case isDigit(c):
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
