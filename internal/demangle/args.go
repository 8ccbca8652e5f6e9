package demangle

import "strings"

// argList is a range of state.args: the arguments of a template-args list,
// or the elements of an argument pack.
type argList struct{ lo, hi int32 }

func (l argList) len() int { return int(l.hi - l.lo) }

// targ is a template argument.
type targ struct {
	node
	pack   argList // the elements of an argument pack
	isPack bool
	// late is set for an argument completed after the library started
	// rewriting its syntax tree, which it prints as parsed when a
	// template parameter refers to it.
	late bool
}

// templateArgs parses <template-args>, I <template-arg>+ E, and returns
// them printed after name: "name<...>", or name alone in Short style.
func (s *state) templateArgs(name span) (span, argList) {
	s.pos++ // I
	l := list{hidden: s.short}
	if !s.short {
		open := name
		if s.last(name) == '<' {
			open = s.add(open, " ") // operator< <int>
		}
		l.text = s.add(open, "<")
	}
	base := len(s.stack)
	plainOnly := s.plainOnly
	s.plainOnly = false // template arguments print on their own
	for s.more() && s.peek() != 'E' {
		a := s.templateArg(&l, false)
		s.stack = append(s.stack, a)
	}
	s.plainOnly = plainOnly
	if len(s.stack) == base {
		s.fail()
	}
	s.expect('E')
	args := s.storeArgs(base)
	if s.short {
		return name, args
	}
	if s.last(l.text) == '>' {
		l.text = s.add(l.text, " ")
	}
	return s.add(l.text, ">"), args
}

// storeArgs moves the arguments from s.stack[base:] to s.args.
func (s *state) storeArgs(base int) argList {
	lo := len(s.args)
	s.args = append(s.args, s.stack[base:]...)
	s.stack = s.stack[:base]
	return argList{int32(lo), int32(len(s.args))}
}

// templateArg parses a <template-arg> and prints it to l: a type, a
// literal, an expression, an argument pack or a pack expansion. In a pack
// (inPack), the library prints an empty pack as an empty item: that fails.
func (s *state) templateArg(l *list, inPack bool) targ {
	if !s.enter() {
		return targ{}
	}
	var a targ
	switch c := s.peek(); {
	case c == 'J':
		if inPack {
			s.fail()
		}
		s.pos++
		base := len(s.stack)
		for s.more() && s.peek() != 'E' {
			e := s.templateArg(l, true)
			s.stack = append(s.stack, e)
		}
		s.expect('E')
		a.isPack, a.pack = true, s.storeArgs(base)
	case c == 'D' && s.peekAt(1) == 'p':
		if s.expansion(l) == 0 {
			s.fail() // the library prints an empty item
		}
		a.kind = packType
	default:
		s.sep(l)
		switch c {
		case 'L':
			a.node = s.literal()
		case 'X':
			a.node = s.expression()
		default:
			a.node = s.typ()
		}
		s.push(l, a.text)
	}
	a.late = s.simplified >= 0
	s.leave()
	return a
}

// maxPattern bounds the declarators of a pack expansion's pattern.
const maxPattern = 8

// expansion parses a pack expansion, Dp <type>, prints each element of the
// pack to l and returns their number. The pattern must be a template
// parameter that is an argument pack, with pointers, references and
// qualifiers.
func (s *state) expansion(l *list) int {
	s.pos += 2 // Dp
	start, groups := s.pos, 0
	for ; groups <= maxPattern; groups++ {
		if c := s.peek(); c == 'P' || c == 'R' || c == 'O' {
			s.pos++
		} else if s.cvQuals() == 0 {
			break
		}
	}
	pattern := s.in[start:s.pos]
	if s.peek() != 'T' || groups > maxPattern {
		s.fail()
		return 0
	}
	p := s.templateParam()
	if !p.isPack {
		s.fail()
		return 0
	}
	// The parameter, each declarator and the expansion are candidates
	// that print differently at each use: references to them fail.
	for range groups + 2 {
		s.addSub(node{kind: packType})
	}
	s.markSimplified()
	for i := p.pack.lo; i < p.pack.hi; i++ {
		e := s.args[i]
		if e.isPack || e.late || e.kind == packType {
			s.fail()
			return 0
		}
		s.sep(l)
		s.push(l, s.declarators(e.node, pattern).text)
	}
	return p.pack.len()
}

// declarators returns t with the pointers, references and qualifiers of
// pattern applied, the last one first.
func (s *state) declarators(t node, pattern string) node {
	if pattern == "" {
		return t
	}
	if c := pattern[0]; c == 'P' || c == 'R' || c == 'O' {
		return s.indirect(s.declarators(t, pattern[1:]), c)
	}
	q, n := cvPrefix(pattern)
	return s.qualify(s.declarators(t, pattern[n:]), q)
}

// literal parses an <expr-primary> in a template argument: L <type>
// <value> E for integers, booleans and enumerators, or L _Z <encoding> E.
func (s *state) literal() node {
	s.pos++ // L
	if s.peek() == '_' && s.peekAt(1) == 'Z' {
		s.pos++
	}
	if s.eat('Z') {
		text := s.encodingText(true)
		s.expect('E')
		return node{text: text}
	}
	var text span
	c := s.peek()
	suffix, integer := intSuffix(c)
	switch {
	case c == 'b':
		s.pos++
		switch {
		case s.eat('0'):
			text = s.lit("false")
		case s.eat('1'):
			text = s.lit("true")
		default:
			s.fail()
		}
	case integer:
		s.pos++
		text = s.add(s.value(span{}), suffix)
	case !isCastable(c, s.peekAt(1)):
		s.fail()
	default:
		open := s.lit("(")
		t := s.typ()
		if t.kind != plainType {
			s.fail()
		}
		text = s.value(s.add(s.cat(open, t.text), ")"))
	}
	s.expect('E')
	return node{text: text}
}

// intSuffix returns the suffix of literals of the integer type with code
// c, and whether c is one.
func intSuffix(c byte) (string, bool) {
	switch c {
	case 'i':
		return "", true
	case 'j':
		return "u", true
	case 'l':
		return "l", true
	case 'm':
		return "ul", true
	case 'x':
		return "ll", true
	case 'y':
		return "ull", true
	}
	return "", false
}

// isCastable reports whether literals of the type with code c (and c2
// after a D) print as a cast of their value: "(char)97", "(Enum)1".
func isCastable(c, c2 byte) bool {
	switch c {
	case 'D':
		return c2 == 'i' || c2 == 's' || c2 == 'u'
	case 's', 't', 'c', 'a', 'h', 'w', 'n', 'o':
		return true
	}
	return builtins[c] == ""
}

// value parses the value of an integer literal, [n] <digits>, and returns
// text followed by it.
func (s *state) value(text span) span {
	if s.eat('n') {
		text = s.add(text, "-")
	}
	return s.add(text, s.digits())
}

// expression parses the one <expression> template argument handled: the
// address of a function or variable named by an identifier,
// X ad L _Z <encoding> E E, printed "&name", or "&(name<args>)" for a
// function template.
func (s *state) expression() node {
	if !strings.HasPrefix(s.in[s.pos:], "XadL_Z") {
		s.fail()
		return node{}
	}
	s.pos += len("XadL_Z")
	text := s.lit("&")
	n := s.name()
	if s.more() && s.peek() != 'E' {
		s.signature(&n)
	}
	s.expect('E')
	s.expect('E')
	if n.quals != 0 || n.local || n.base.len() == 0 || s.last(n.text) == ']' {
		s.fail() // printed with the signature, or in parentheses
	}
	if n.tmpl {
		text = s.add(text, "(")
		return node{text: s.add(s.cat(text, n.text), ")")}
	}
	return node{text: s.cat(text, n.text)}
}
