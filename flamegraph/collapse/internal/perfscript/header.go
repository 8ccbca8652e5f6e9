package perfscript

import "bytes"

// header handles a line that may start a sample, like
//
//	java 12688/12764 [002] 6544038.708352:   10309278 cpu-clock:
//
// and reports whether it was one. Most headers start like one of the last
// few and end like the last one (headerMemo), and then are not split.
func (p *parser) header(l []byte) bool {
	m := &p.headers
	k := m.find(l)
	var comm, pid, tid []byte
	end := 0
	if k < 0 {
		var ok bool
		if comm, pid, tid, end, ok = splitHeaderAt(l); !ok {
			return false
		}
	}
	period, event, ok := m.periodEvent(l)
	if ok {
		if !p.filterSet {
			p.setFilter(event)
		} else if !bytes.Equal(event, p.filter) {
			p.filtered++
			return true // the sample's lines are ignored (the state is kept, as the perl does)
		}
	}
	p.period = period
	p.weighted = p.weighted || p.period != 1
	if k >= 0 {
		p.pname = append(p.pname[:0], m.use(k).pname...)
		p.startSample()
		return true
	}
	if len(tid) == 0 || len(tid) == 1 && tid[0] == '0' {
		tid, pid = pid, []byte("?")
	}
	pn := append(p.pname[:0], comm...)
	for i, c := range pn {
		if c == ' ' {
			pn[i] = '_'
		}
	}
	switch {
	case p.tid:
		pn = append(append(append(append(pn, '-'), pid...), '/'), tid...)
	case p.pid:
		pn = append(append(pn, '-'), pid...)
	}
	p.pname = pn
	m.add(l[:end], pn)
	p.startSample()
	return true
}

// splitHeader splits a sample header into comm, PID and TID. The comm is
// the shortest prefix, starting with a non-space, that is followed by
// spaces, a number (the PID, or the TID when it is alone), an optional
// "/TID", and a space. tid is empty when there is none. (stackcollapse-perf.pl
// wants two bytes of comm, so it misreads one-letter commands such as
// "w 2475 ...": we don't.)
func splitHeader(l []byte) (comm, pid, tid []byte, ok bool) {
	comm, pid, tid, _, ok = splitHeaderAt(l)
	return comm, pid, tid, ok
}

// splitHeaderAt is splitHeader, which also returns where the header goes
// on after the space that follows the PID or TID: the split depends on
// nothing after it.
func splitHeaderAt(l []byte) (comm, pid, tid []byte, end int, ok bool) {
	if len(l) < 2 || isSpace(l[0]) {
		return nil, nil, nil, 0, false
	}
	for k := 1; k < len(l); k++ {
		// Try each run of spaces once, from its start.
		if !isSpace(l[k]) || isSpace(l[k-1]) {
			continue
		}
		j := k + 1
		for j < len(l) && isSpace(l[j]) {
			j++
		}
		d := j
		for j < len(l) && isDigit(l[j]) {
			j++
		}
		if j == d {
			continue
		}
		pidEnd := j
		for j < len(l) && l[j] == '/' {
			j++
		}
		t := j
		for j < len(l) && isDigit(l[j]) {
			j++
		}
		if j < len(l) && isSpace(l[j]) {
			return l[:k], l[d:pidEnd], l[t:j], j + 1, true
		}
	}
	return nil, nil, nil, 0, false
}

// headerEvent finds the period and event of a header that ends like
// ": 1001001 cpu-clock:" (the period may be missing). The event is the last
// word without its final ':'; the period the digits between it and the ':'
// before it.
func headerEvent(l []byte) (period, event []byte, ok bool) {
	period, event, _, ok = headerEventAt(l)
	return period, event, ok
}

// headerEventAt is headerEvent, which also returns where the ':' before the
// period is: the period and event depend on nothing before it.
func headerEventAt(l []byte) (period, event []byte, at int, ok bool) {
	e := len(l)
	for e > 0 && isSpace(l[e-1]) {
		e--
	}
	if e < 2 || l[e-1] != ':' {
		return nil, nil, 0, false
	}
	s := e - 1
	for s > 0 && !isSpace(l[s-1]) {
		s--
	}
	if s == 0 || s == e-1 {
		return nil, nil, 0, false
	}
	c := bytes.LastIndexByte(l[:s], ':')
	if c < 0 {
		return nil, nil, 0, false
	}
	// Between the ':' and the event: spaces, optional digits, spaces (at
	// least one after the digits, or at least one in all).
	j := c + 1
	for j < s && isSpace(l[j]) {
		j++
	}
	d := j
	for j < s && isDigit(l[j]) {
		j++
	}
	de := j
	for j < s && isSpace(l[j]) {
		j++
	}
	if j != s || de == d && s == c+1 || de > d && j == de {
		return nil, nil, 0, false
	}
	return l[d:de], l[s : e-1], c, true
}

// parsePeriod converts a period to a count: none, or "0", counts 1.
func parsePeriod(b []byte) float64 {
	if len(b) == 0 || len(b) == 1 && b[0] == '0' {
		return 1
	}
	var v float64
	for _, c := range b {
		v = v*10 + float64(c-'0')
	}
	return v
}

// firstEvent returns the event type of the first sample header in data
// that names one, or nil.
func firstEvent(data []byte) []byte {
	for len(data) > 0 {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) == 0 || l[0] == '#' || isSpace(l[0]) {
			continue
		}
		if _, _, _, ok := splitHeader(l); ok {
			if _, ev, ok := headerEvent(l); ok {
				return bytes.Clone(ev)
			}
		}
	}
	return nil
}
