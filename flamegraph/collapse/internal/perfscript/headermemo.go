package perfscript

// The memo of sample headers. A header's process frame depends on nothing
// but its bytes up to the space after its PID or TID (and the options),
// and its period and event on nothing but its bytes from the ':' after its
// time on; most headers of a capture start like one of the last few (on
// the real capture of bench/collapse-render, three in four start like one
// of the last four: samples of the same threads on each CPU) and end like
// the last one. So those bytes are kept with what they gave, and a header
// that has them is not split: splitting headers and finding their process
// frames took a tenth of the instructions of `flamekit collapse` on that
// capture, and takes 5% with the memo.

// headerHeads is how many starts of headers the memo keeps.
const headerHeads = 4

// headerMemo holds the starts of the last headers with their process
// frames, and the end of the last header with its period and event.
type headerMemo struct {
	heads [headerHeads]headerHead // most recently used first; empty ones have no start

	tail    []byte  // the last header from the ':' before its period on, or empty
	period  float64 // its period, as parsePeriod reads it
	event   []byte  // its event, in tail
	eventOK bool    // headerEvent found them
}

// headerHead is the start of a header, up to the space after its PID or
// TID, with the process frame it gives and that frame's id in
// parser.pnames (-1 when not known).
type headerHead struct {
	start []byte
	pname []byte
	id    int32
}

// find returns the index of the kept start that header l starts with, or
// -1.
func (m *headerMemo) find(l []byte) int {
	for k := range m.heads {
		h := &m.heads[k]
		if n := len(h.start); n > 0 && len(l) > n && string(l[:n]) == string(h.start) {
			return k
		}
	}
	return -1
}

// use makes start k the most recently used and returns it.
func (m *headerMemo) use(k int) *headerHead {
	if k > 0 {
		h := m.heads[k]
		copy(m.heads[1:k+1], m.heads[:k])
		m.heads[0] = h
	}
	return &m.heads[0]
}

// add keeps the start of a header with the process frame it gives, as the
// most recently used, in place of the least.
func (m *headerMemo) add(start, pname []byte) {
	last := m.heads[headerHeads-1]
	copy(m.heads[1:], m.heads[:headerHeads-1])
	m.heads[0] = headerHead{
		start: append(last.start[:0], start...),
		pname: append(last.pname[:0], pname...),
		id:    -1,
	}
}

// forget forgets the ids of the process frames, when parser.pnames is
// emptied.
func (m *headerMemo) forget() {
	for k := range m.heads {
		m.heads[k].id = -1
	}
}

// periodEvent returns the period of header l, as parsePeriod reads it, and its
// event, as headerEvent finds them, and whether it found them.
func (m *headerMemo) periodEvent(l []byte) (float64, []byte, bool) {
	if n := len(m.tail); n > 0 && len(l) > n && string(l[len(l)-n:]) == string(m.tail) {
		return m.period, m.event, m.eventOK
	}
	period, event, at, ok := headerEventAt(l)
	m.tail = m.tail[:0]
	m.period, m.event, m.eventOK = parsePeriod(period), nil, ok
	if ok {
		m.tail = append(m.tail, l[at:]...)
		s := cap(l) - cap(event) - at // where the event starts in the tail
		m.event = m.tail[s : s+len(event)]
	}
	return m.period, m.event, ok
}
