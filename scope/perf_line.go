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

// joinTrimmed returns the lines of body without their trailing white
// space, joined, as FlameScope joins a sample's lines for its idle rule.
func joinTrimmed(body []byte) []byte {
	var out []byte
	for len(body) > 0 {
		l := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			l, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		out = append(out, bytes.TrimRight(l, " \t\r\v\f")...)
	}
	return out
}

// cut shortens a line for an error message.
func cut(l []byte) []byte {
	if len(l) > 120 {
		return l[:120]
	}
	return l
}
