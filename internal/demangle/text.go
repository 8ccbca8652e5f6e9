package demangle

// span is a range of bytes of the arena, state.buf. The arena only grows
// while a name is demangled, so a span keeps its text: a substitution or a
// template parameter is printed by copying the span of what it refers to.
type span struct{ start, end int32 }

func (sp span) len() int { return int(sp.end - sp.start) }

// text returns the bytes of sp.
func (s *state) text(sp span) []byte {
	if !s.valid(sp) {
		return nil
	}
	return s.buf[sp.start:sp.end]
}

// last returns the last byte of sp, or 0 if it is empty.
func (s *state) last(sp span) byte {
	if sp.len() <= 0 || !s.valid(sp) {
		return 0
	}
	return s.buf[sp.end-1]
}

// grown returns the span from start to the end of the arena, failing when
// the arena is over its limit.
func (s *state) grown(start int) span {
	if len(s.buf) > maxText {
		s.fail()
	}
	return span{int32(start), int32(len(s.buf))}
}

// lit appends text to the arena and returns its span.
func (s *state) lit(text string) span {
	start := len(s.buf)
	s.buf = append(s.buf, text...)
	return s.grown(start)
}

// valid reports whether sp is a span of the arena, failing if not. Spans
// are only invalid after a failure, which then needs no text.
func (s *state) valid(sp span) bool {
	if 0 <= sp.start && sp.start <= sp.end && int(sp.end) <= len(s.buf) {
		return true
	}
	s.fail()
	return false
}

// atEnd returns a span with the text of sp that ends at the end of the
// arena, so that more text can be appended to it: sp itself, or a copy.
func (s *state) atEnd(sp span) span {
	if !s.valid(sp) {
		return span{}
	}
	if int(sp.end) == len(s.buf) {
		return sp
	}
	start := len(s.buf)
	s.buf = append(s.buf, s.buf[sp.start:sp.end]...)
	return s.grown(start)
}

// add returns a span with the text of sp followed by text.
func (s *state) add(sp span, text string) span {
	sp = s.atEnd(sp)
	s.buf = append(s.buf, text...)
	return s.grown(int(sp.start))
}

// cat returns a span with the text of a followed by that of b. Text parsed
// in order is usually adjacent in the arena already, and costs no copy.
func (s *state) cat(a, b span) span {
	switch {
	case !s.valid(a) || !s.valid(b):
		return span{}
	case b.len() == 0:
		return a
	case a.len() == 0:
		return b
	case a.end == b.start:
		return span{a.start, b.end}
	}
	a = s.atEnd(a)
	s.buf = append(s.buf, s.buf[b.start:b.end]...)
	return s.grown(int(a.start))
}

// list is a comma-separated list being printed: parameter types, template
// arguments. A hidden list prints nothing (Short style template arguments).
type list struct {
	text   span
	items  int
	hidden bool
}

// sep prepares l for one more item. It must come before the item is parsed,
// so that the item's text lands right after the separator.
func (s *state) sep(l *list) {
	if l.items > 0 && !l.hidden {
		l.text = s.add(l.text, ", ")
	}
	l.items++
}

// push adds the text of an item after sep.
func (s *state) push(l *list, item span) {
	if !l.hidden {
		l.text = s.cat(l.text, item)
	}
}

// quals is a set of cv-qualifiers and, for member functions, a
// ref-qualifier.
type quals uint8

const (
	qualConst quals = 1 << iota
	qualVolatile
	qualRestrict
	qualLRef
	qualRRef
)

// qualNames holds the printed qualifiers, in the order they are printed:
// cv-qualifiers first.
var qualNames = [...]struct {
	q    quals
	text string
}{
	{qualConst, " const"},
	{qualVolatile, " volatile"},
	{qualRestrict, " restrict"},
	{qualLRef, " &"},
	{qualRRef, " &&"},
}

// append appends the printed qualifiers to dst.
func (q quals) append(dst []byte) []byte {
	for _, n := range qualNames {
		if q&n.q != 0 {
			dst = append(dst, n.text...)
		}
	}
	return dst
}

// qualStrings holds the printed form of every set of qualifiers.
var qualStrings = func() (t [qualRRef << 1]string) {
	for q := range t {
		t[q] = string(quals(q).append(nil))
	}
	return t
}()

// String returns the printed qualifiers: " const volatile &".
func (q quals) String() string { return qualStrings[q] }

// cvQuals parses <CV-qualifiers>: [r] [V] [K]. The library accepts them in
// any order and repeated, and prints them so: that fails.
func (s *state) cvQuals() quals {
	q, n := cvPrefix(s.in[s.pos:])
	s.pos += n
	if c := s.peek(); c == 'r' || c == 'V' || c == 'K' {
		s.fail()
	}
	return q
}

// cvPrefix returns the <CV-qualifiers> at the start of p and their length.
func cvPrefix(p string) (quals, int) {
	var q quals
	n := 0
	for _, c := range [...]struct {
		code byte
		q    quals
	}{{'r', qualRestrict}, {'V', qualVolatile}, {'K', qualConst}} {
		if n < len(p) && p[n] == c.code {
			q |= c.q
			n++
		}
	}
	return q, n
}

// methodQuals parses the qualifiers of a member function in a nested name:
// <CV-qualifiers> [<ref-qualifier>].
func (s *state) methodQuals() quals {
	q := s.cvQuals()
	switch {
	case s.eat('R'):
		q |= qualLRef
	case s.eat('O'):
		q |= qualRRef
	}
	return q
}
