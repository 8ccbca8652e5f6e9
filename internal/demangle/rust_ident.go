package demangle

import (
	"strings"
	"unicode/utf8"
)

// rustIdent is an identifier of a v0 name: ASCII, or for a non-ASCII one,
// its ASCII characters and the Punycode insertions of the others.
type rustIdent struct{ ascii, puny string }

func (id rustIdent) empty() bool { return id.ascii == "" && id.puny == "" }

// ident parses an <undisambiguated-identifier>: an optional "u" (Punycode),
// a decimal length, an optional "_" separator and the bytes. In Punycode,
// the last "_" of the bytes separates the ASCII characters from the
// insertions, which cannot be empty.
func (s *rustState) ident() rustIdent {
	puny := s.eat('u')
	c := s.next()
	if !isDigit(c) {
		s.fail()
		return rustIdent{}
	}
	n := int(c - '0')
	for c != '0' && isDigit(s.peek()) {
		n = n*10 + int(s.next()-'0')
		if n > len(s.in) {
			s.fail()
			return rustIdent{}
		}
	}
	s.eat('_')
	if n > len(s.in)-s.pos {
		s.fail()
		return rustIdent{}
	}
	text := s.in[s.pos : s.pos+n]
	s.pos += n
	if !puny {
		return rustIdent{ascii: text}
	}
	id := rustIdent{puny: text}
	if i := strings.LastIndexByte(text, '_'); i >= 0 {
		id = rustIdent{ascii: text[:i], puny: text[i+1:]}
	}
	if id.puny == "" {
		s.fail()
	}
	return id
}

// maxPunycode bounds the characters of a decoded Punycode identifier, as
// rustc-demangle's does.
const maxPunycode = 128

// printIdent prints id, decoding its Punycode. An identifier whose Punycode
// does not decode, or decodes to more than maxPunycode characters, prints
// as rustc-demangle prints it: "punycode{ascii-insertions}".
func (s *rustState) printIdent(id rustIdent) {
	if id.puny == "" {
		s.print(id.ascii)
		return
	}
	if !s.printing() {
		return
	}
	var chars [maxPunycode]rune
	if n, ok := decodePunycode(id, &chars); ok {
		for _, r := range chars[:n] {
			s.printRune(r)
		}
		return
	}
	s.print("punycode{")
	if id.ascii != "" {
		s.print(id.ascii)
		s.printByte('-')
	}
	s.print(id.puny)
	s.printByte('}')
}

// Parameters of Punycode (RFC 3492).
const (
	punyBase        = 36
	punyTMin        = 1
	punyTMax        = 26
	punySkew        = 38
	punyInitialBias = 72
	punyInitialDamp = 700
	punyInitialN    = 0x80
)

// decodePunycode decodes id into chars (RFC 3492, with rustc's "_" for
// "-" already split off) and returns how many characters it has, or false
// if the insertions are malformed, overflow or make too many characters.
func decodePunycode(id rustIdent, chars *[maxPunycode]rune) (int, bool) {
	if len(id.ascii) > len(chars) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(id.ascii); i++ {
		chars[n] = rune(id.ascii[i])
		n++
	}
	const maxU64 = 1<<64 - 1
	damp, bias, i, c := uint64(punyInitialDamp), uint64(punyInitialBias), uint64(0), uint64(punyInitialN)
	for p := 0; ; {
		// One delta, a variable-length number.
		delta, w := uint64(0), uint64(1)
		for k := uint64(punyBase); ; k += punyBase {
			t := uint64(punyTMin)
			if k > bias {
				t = min(max(k-bias, punyTMin), punyTMax)
			}
			if p >= len(id.puny) {
				return 0, false
			}
			d, ok := punyDigit(id.puny[p])
			p++
			if !ok || d != 0 && w > maxU64/d || delta > maxU64-d*w {
				return 0, false
			}
			delta += d * w
			if d < t {
				break
			}
			if w > maxU64/(punyBase-t) {
				return 0, false
			}
			w *= punyBase - t
		}
		// The character and where it goes.
		n++
		if i > maxU64-delta {
			return 0, false
		}
		i += delta
		if c > maxU64-i/uint64(n) {
			return 0, false
		}
		c += i / uint64(n)
		i %= uint64(n)
		if c > utf8.MaxRune || !utf8.ValidRune(rune(c)) || n > len(chars) {
			return 0, false
		}
		copy(chars[i+1:n], chars[i:n-1])
		chars[i] = rune(c)
		i++
		if p == len(id.puny) {
			return n, true
		}
		// Bias adaptation.
		delta /= damp
		damp = 2
		delta += delta / uint64(n)
		k := uint64(0)
		for delta > ((punyBase-punyTMin)*punyTMax)/2 {
			delta /= punyBase - punyTMin
			k += punyBase
		}
		bias = k + ((punyBase-punyTMin+1)*delta)/(delta+punySkew)
	}
}

// punyDigit returns the value of the Punycode digit c: a-z are 0-25 and
// 0-9 are 26-35.
func punyDigit(c byte) (uint64, bool) {
	switch {
	case isLower(c):
		return uint64(c - 'a'), true
	case isDigit(c):
		return uint64(c-'0') + 26, true
	}
	return 0, false
}
