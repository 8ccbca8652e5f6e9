package scope

import "bytes"

// isFrameLine reports whether a line that starts with a space is shaped
// like a frame line of older perf versions: spaces, a hexadecimal address
// and a space.
func isFrameLine(l []byte) bool {
	if len(l) == 0 || l[0] != ' ' {
		return false
	}
	l = bytes.TrimLeft(l, " ")
	n := 0
	for n < len(l) && isHex(l[n]) {
		n++
	}
	return n > 0 && n < len(l) && l[n] == ' '
}

func isHex(c byte) bool { return hexDigit[c] }

// hexDigit tells the hexadecimal digits.
var hexDigit = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF" {
		t[c] = true
	}
	return t
}()

// cut shortens a line for an error message.
func cut(l []byte) []byte {
	if len(l) > 120 {
		return l[:120]
	}
	return l
}
