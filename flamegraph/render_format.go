package flamegraph

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// roundScaled returns v*scale (scale 10 or 100) rounded to an integer
// exactly as C's printf("%.1f") and ("%.2f") round v: to nearest, ties to
// even, on the exact binary value. ok is false for values too large (or
// negative) for this fast path.
func roundScaled(v, scale float64) (n float64, ok bool) {
	p := v * scale
	if !(p >= 0 && p < 1<<52) {
		return 0, false
	}
	// p+e is v*scale exactly: e is the product's rounding error, at most
	// half a unit of p, so only a p exactly halfway needs it.
	e := math.FMA(v, scale, -p)
	n = math.Floor(p)
	switch frac := p - n; {
	case frac > 0.5, frac == 0.5 && e > 0:
		n++
	case frac == 0.5 && e == 0 && math.Mod(n, 2) == 1:
		n++
	}
	return n, true
}

// appendFixed appends v with prec (1 or 2) decimals as printf("%.*f")
// does. strconv does the same, but slowly for fixed precision in 'f' form.
func appendFixed(b []byte, v float64, prec int) []byte {
	if v < 0 || (v == 0 && math.Signbit(v)) {
		return appendFixed(append(b, '-'), -v, prec)
	}
	scale := 10.0
	if prec == 2 {
		scale = 100
	}
	n, ok := roundScaled(v, scale)
	if !ok {
		return strconv.AppendFloat(b, v, 'f', prec, 64)
	}
	u := uint64(n)
	b = strconv.AppendUint(b, u/uint64(scale), 10)
	b = append(b, '.')
	f := u % uint64(scale)
	if prec == 2 {
		b = append(b, byte('0'+f/10))
	}
	return append(b, byte('0'+f%10))
}

// tenths returns v ≥ 0 in tenths as printf("%.1f") rounds it.
func tenths(v float64) int64 {
	if n, ok := roundScaled(v, 10); ok {
		return int64(n)
	}
	return int64(math.Round(v * 10)) // beyond 2^52/10: no tenths left to round
}

// appendScaled appends n/scale (scale 10 or 100) without trailing zeros.
func appendScaled(b []byte, n int64, scale int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/scale, 10)
	f := n % scale
	switch {
	case f == 0:
		return b
	case scale == 10:
		return append(b, '.', byte('0'+f))
	case f%10 == 0:
		return append(b, '.', byte('0'+f/10))
	}
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}

// appendNum appends v as perl prints a number: integers plainly, others
// with up to 15 significant digits.
func appendNum(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', 15, 64)
}

// appendCount appends v rounded to an integer (perl's "%.0f") with commas
// between groups of three digits.
func appendCount(b []byte, v float64) []byte {
	var buf [32]byte
	var digits []byte
	if v = math.RoundToEven(v); math.Abs(v) < 1e18 {
		digits = strconv.AppendInt(buf[:0], int64(v), 10)
	} else {
		digits = strconv.AppendFloat(buf[:0], v, 'f', 0, 64)
	}
	if len(digits) > 0 && digits[0] == '-' {
		b = append(b, '-')
		digits = digits[1:]
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, d)
	}
	return b
}

// plainByte marks the bytes appendEscaped copies as they are.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	t['\t'], t['\n'], t['\r'] = true, true, true
	t['&'], t['<'], t['>'], t['"'] = false, false, false, false
	return t
}()

// appendEscaped appends s escaped for XML text and attribute values:
// & < > " are replaced by entities, and invalid UTF-8 and characters XML
// does not allow (most control characters) by U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plainByte[c] {
			i++
			continue
		}
		esc, n := "\uFFFD", 1
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		default:
			if c >= utf8.RuneSelf {
				var r rune
				r, n = utf8.DecodeRuneInString(s[i:])
				if (r != utf8.RuneError || n > 1) && r != 0xFFFE && r != 0xFFFF {
					i += n
					continue
				}
			}
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		i += n
		start = i
	}
	return append(b, s[start:]...)
}

// commentSafe makes s safe inside an XML comment: no "--", no "<" or ">",
// and valid, allowed characters only.
func commentSafe(s string) string {
	b := appendEscaped(nil, s)
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == '-' && len(out) > 0 && out[len(out)-1] == '-' {
			out = append(out, ' ')
		}
		out = append(out, c)
	}
	return string(out)
}

// runePrefix returns the first n characters of s, as perl's substr counts
// on decoded text.
func runePrefix(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
