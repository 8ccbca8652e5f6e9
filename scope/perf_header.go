package scope

import "bytes"

// perfTime finds the timestamp of a perf script sample header, where
// FlameScope finds it (app/perf/regexp.py): the first run of digits and
// dots that follows a space and is followed by ": ", then at least one
// byte and a ':' ("java 14375 [022] 28648.467079: cpu-clock:"). ok is false
// when the line has none.
func perfTime(l []byte) (ts []byte, ok bool) {
	for k := 0; k+1 < len(l); k++ {
		if l[k] != ' ' || !isTimeByte(l[k+1]) {
			continue
		}
		j := k + 1
		for j < len(l) && isTimeByte(l[j]) {
			j++
		}
		if j+3 < len(l) && l[j] == ':' && l[j+1] == ' ' && bytes.IndexByte(l[j+3:], ':') >= 0 {
			return l[k+1 : j], true
		}
		k = j - 1
	}
	return nil, false
}

func isTimeByte(c byte) bool { return c >= '0' && c <= '9' || c == '.' }

// perfComm returns the comm of a sample header, as package collapse reads
// it: after any leading spaces, the shortest prefix followed by spaces, a
// number, an optional "/number" and a space. It returns the text before
// the first space when there is no such prefix.
func perfComm(l []byte) []byte {
	l = bytes.TrimLeft(l, " ")
	for k := 1; k < len(l); k++ {
		if l[k] != ' ' || l[k-1] == ' ' {
			continue
		}
		j := k + 1
		for j < len(l) && l[j] == ' ' {
			j++
		}
		d := j
		for j < len(l) && isDigit(l[j]) {
			j++
		}
		if j == d {
			continue
		}
		for j < len(l) && l[j] == '/' {
			j++
		}
		for j < len(l) && isDigit(l[j]) {
			j++
		}
		if j < len(l) && l[j] == ' ' {
			return l[:k]
		}
	}
	if i := bytes.IndexByte(l, ' '); i >= 0 {
		return l[:i]
	}
	return l
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
