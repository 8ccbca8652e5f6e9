package perfscript

// Byte classes, as perl's \s, \w and \d see bytes (ASCII rules).
const (
	clsSpace   = 1 << iota // ' ' \t \n \v \f \r
	clsWord                // [A-Za-z0-9_]
	clsDigit               // [0-9]
	clsHex                 // [0-9a-f]
	clsSpecial             // bytes that make a symbol need tidying: ; ( " ' >
)

// class holds the classes of each byte.
var class = func() (t [256]uint8) {
	for _, c := range []byte(" \t\n\v\f\r") {
		t[c] |= clsSpace
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= clsWord | clsDigit | clsHex
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= clsWord
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= clsHex
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= clsWord
	}
	t['_'] |= clsWord
	for _, c := range []byte(`;("'>`) {
		t[c] |= clsSpecial
	}
	return t
}()

func isSpace(c byte) bool { return class[c]&clsSpace != 0 }
func isDigit(c byte) bool { return class[c]&clsDigit != 0 }
