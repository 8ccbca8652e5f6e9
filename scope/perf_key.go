package scope

// appendFrameKey appends to key what of a frame line decides its names in
// collapse.Perf (without the Addrs option): the line without its address
// (the first word, when it is hexadecimal) and without the offset of its
// symbol (a "+0x..." before the " (dso)"). Samples whose frame lines differ
// only there (the leaf's address and offset, which vary from sample to
// sample) then share one stack. Neither part can hold a letter of the
// idle rule's words, so the key decides idleness as the line does. The
// line's key starts with frameKeyMark, where its address was.
func appendFrameKey(key, l []byte) []byte {
	return appendMarkedFrame(key, l, string(rune(frameKeyMark)))
}

// appendFrameText appends to text the frame line l as namingText writes
// its key (appendFrameLine), so that collapse.Perf names it as it names l.
func appendFrameText(text, l []byte) []byte {
	return appendMarkedFrame(text, l, frameTextMark)
}

// frameTextMark is where appendFrameText puts a frame line's address: a
// tab and a zero address.
const frameTextMark = "\t0"

// appendMarkedFrame appends the key of l as appendFrameKey makes it, with
// mark where the address was.
func appendMarkedFrame(key, l []byte, mark string) []byte {
	i := 0
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	w := i
	for w < len(l) && isHex(l[w]) {
		w++
	}
	if w == i || w == len(l) || l[w] != ' ' {
		return append(key, l...) // not shaped like a frame line: kept whole
	}
	rest := l[w:]
	// The dso: from the last " (" before the final ')'.
	end := len(rest)
	for end > 0 && (rest[end-1] == '\n' || rest[end-1] == '\r') {
		end--
	}
	s := -1
	if end > 0 && rest[end-1] == ')' {
		for k := end - 2; k > 0; k-- {
			if rest[k] == '(' && rest[k-1] == ' ' {
				s = k - 1
				break
			}
		}
	}
	if s < 0 {
		return append(append(key, mark...), rest...)
	}
	sym := rest[:s]
	j := len(sym)
	for j > 0 && isHex(sym[j-1]) {
		j--
	}
	if j < len(sym) && j >= 3 && sym[j-3] == '+' && sym[j-2] == '0' && sym[j-1] == 'x' {
		sym = sym[:j-3]
	}
	return append(append(append(key, mark...), sym...), rest[s:]...)
}

// frameKeyMark starts the key of a frame line (frame lines start with
// white space, so no other line's key does).
const frameKeyMark = 0

// appendFrameLine appends to text a frame line with the key k, which
// collapse.Perf names as it names the lines of that key.
func appendFrameLine(text []byte, k string) []byte {
	if len(k) > 0 && k[0] == frameKeyMark {
		return append(append(text, frameTextMark...), k[1:]...)
	}
	return append(text, k...)
}
