package demangle

// node is a parsed type, or any other substitution candidate.
type node struct {
	text span
	base span  // identifier a constructor of this class repeats
	mid  int32 // where a declarator goes in function and array types
	// bind is the scope whose template arguments the template
	// parameters in the text may stand for, or 0; see state.bindNow.
	bind int32
	kind kind
	last last // the outermost declarator
}

// kind tells how a type combines with the declarators (pointer,
// reference, qualifiers) applied to it.
type kind uint8

const (
	plainType     kind = iota // declarators follow the text
	funcType                  // "R (P)": a declarator goes at mid, in parentheses
	funcQualType              // funcType with qualifiers after "(P)"
	funcDeclType              // "R (D)(P)": declarators go at mid, after D
	arrayType                 // "E [N]": a declarator goes at mid, in parentheses
	arrayDeclType             // "E (D) [N]": declarators go at mid, after D
	packType                  // part of a pack expansion: not printable
)

// last is the outermost declarator of a type: references collapse and
// qualifiers merge with what they are applied to.
type last uint8

const (
	lastOther last = iota
	lastCV
	lastLRef
	lastRRef
)

// builtins holds the builtin types with one-letter codes.
var builtins = [256]string{
	'v': "void",
	'w': "wchar_t",
	'b': "bool",
	'c': "char",
	'a': "signed char",
	'h': "unsigned char",
	's': "short",
	't': "unsigned short",
	'i': "int",
	'j': "unsigned int",
	'l': "long",
	'm': "unsigned long",
	'x': "long long",
	'y': "unsigned long long",
	'n': "__int128",
	'o': "unsigned __int128",
	'f': "float",
	'd': "double",
	'e': "long double",
	'g': "__float128",
	'z': "...",
}

// dBuiltins holds the builtin types with codes D and a letter.
var dBuiltins = [256]string{
	'd': "decimal64",
	'e': "decimal128",
	'f': "decimal32",
	'h': "half",
	'i': "char32_t",
	's': "char16_t",
	'u': "char8_t",
	'a': "auto",
	'c': "decltype(auto)",
	'n': "decltype(nullptr)",
}

// typ parses a <type>.
func (s *state) typ() node {
	if !s.enter() {
		return node{}
	}
	t := s.typ1()
	if s.plainOnly && t.kind != plainType {
		s.fail()
	}
	s.leave()
	return t
}

func (s *state) typ1() node {
	c := s.peek()
	if b := builtins[c]; b != "" {
		s.pos++
		return node{text: s.lit(b)}
	}
	var t node
	switch {
	case c == 'P' || c == 'R' || c == 'O':
		s.pos++
		t = s.indirect(s.typ(), c)
	case c == 'r' || c == 'V' || c == 'K':
		t = s.qualified()
	case c == 'F':
		t = s.functionType(0)
	case c == 'A':
		t = s.arrayType()
	case c == 'M':
		t = s.memberPointer()
	case c == 'T':
		return s.paramType()
	case c == 'D':
		return s.dType()
	case c == 'S' && s.peekAt(1) != 't':
		return s.substitutionType()
	case c == 'S' || c == 'N' || c == 'Z' || isDigit(c):
		n := s.name()
		if n.quals != 0 || n.cdtor {
			s.fail()
		}
		t = node{text: n.text, base: n.base}
	default:
		s.fail()
		return node{}
	}
	s.addSub(t)
	return t
}

// indirect returns a pointer (c is P), lvalue reference (R) or rvalue
// reference (O) to t.
func (s *state) indirect(t node, c byte) node {
	op, l := "*", lastOther
	switch c {
	case 'R':
		op, l = "&", lastLRef
	case 'O':
		op, l = "&&", lastRRef
	}
	if l != lastOther && (t.last == lastLRef || t.last == lastRRef) {
		return s.collapse(t, l)
	}
	var r node
	switch t.kind {
	case plainType:
		r = node{text: s.add(t.text, op)}
	case funcType, funcQualType:
		r = s.declare(t, op, ")", funcDeclType)
	case arrayType:
		r = s.declare(t, op, ") ", arrayDeclType)
	case funcDeclType, arrayDeclType:
		r = s.insert(t, op)
	default:
		s.fail()
		return node{}
	}
	r.last = l
	return r
}

// collapse returns the reference l to the reference t: an rvalue reference
// to an lvalue reference is the lvalue reference, any other combination
// the inner reference, as C++ collapses them.
func (s *state) collapse(t node, l last) node {
	if s.raw > 0 {
		s.fail()
	}
	s.markSimplified()
	if l == lastRRef || t.last == lastLRef {
		return t
	}
	// An lvalue reference to an rvalue reference: drop one '&'.
	if t.kind == plainType {
		return node{text: span{t.text.start, t.text.end - 1}, last: lastLRef}
	}
	text := s.cat(span{t.text.start, t.mid - 1}, span{t.mid, t.text.end})
	return node{text: text, mid: text.start + t.mid - 1 - t.text.start, kind: t.kind, last: lastLRef}
}

// qualified parses a type with cv-qualifiers. A qualified function type is
// one substitution candidate, with the qualifiers after the parameters.
func (s *state) qualified() node {
	q := s.cvQuals()
	switch {
	case s.peek() == 'F':
		return s.functionType(q)
	case s.peek() == 'D' && s.peekAt(1) == 'o' && s.peekAt(2) == 'F':
		return s.noexceptType(q)
	}
	return s.qualify(s.typ(), q)
}

// qualify returns t with the cv-qualifiers q.
func (s *state) qualify(t node, q quals) node {
	if t.last == lastCV {
		return s.requalify(t, q)
	}
	var r node
	switch t.kind {
	case plainType:
		r = node{text: s.add(t.text, q.String())}
	case funcType:
		r.text = s.add(t.text, q.String())
		r.mid, r.kind = r.text.start+t.mid-t.text.start, funcQualType
	case funcDeclType, arrayDeclType:
		r = s.insert(t, q.String())
	case arrayType:
		r = s.qualifyElements(t, q)
	default:
		s.fail()
		return node{}
	}
	r.last = lastCV
	return r
}

// qualifyElements returns the array type t with the cv-qualifiers q, which
// print after its element type: "char const [10]".
func (s *state) qualifyElements(t node, q quals) node {
	elem := span{t.text.start, t.mid - 1} // without the space before [N]
	for _, n := range qualNames[:3] {
		if s.endsWith(elem, n.text) {
			s.fail() // the library merges the qualifiers
			return node{}
		}
	}
	text := s.add(elem, q.String())
	mid := text.end + 1
	return node{text: s.cat(text, span{elem.end, t.text.end}), mid: mid, kind: arrayType}
}

// endsWith reports whether the text of sp ends with suffix.
func (s *state) endsWith(sp span, suffix string) bool {
	return sp.len() >= len(suffix) && string(s.text(span{sp.end - int32(len(suffix)), sp.end})) == suffix
}

// requalify returns t, which ends in cv-qualifiers, with the qualifiers q
// too. The library merges them; only const on const is handled.
func (s *state) requalify(t node, q quals) node {
	if q != qualConst || t.kind != plainType || !s.endsWith(t.text, " const") {
		s.fail()
		return node{}
	}
	s.markSimplified()
	return t
}

// declare returns the function or array type t with the declarator decl,
// which it puts in parentheses: "R (*)(P)". close ends the parentheses.
func (s *state) declare(t node, decl, close string, k kind) node {
	text := s.add(span{t.text.start, t.mid}, "(")
	text = s.add(text, decl)
	mid := text.end
	text = s.add(text, close)
	text = s.cat(text, span{t.mid, t.text.end})
	return node{text: text, mid: mid, kind: k}
}

// insert returns the function or array type t, which has a declarator,
// with more of it: "R (*" + decl + ")(P)".
func (s *state) insert(t node, decl string) node {
	text := s.add(span{t.text.start, t.mid}, decl)
	mid := text.end
	text = s.cat(text, span{t.mid, t.text.end})
	return node{text: text, mid: mid, kind: t.kind}
}

// functionType parses a <function-type>, F [Y] <return type> <parameter
// types> [<ref-qualifier>] E, with the cv-qualifiers q that preceded it.
func (s *state) functionType(q quals) node {
	s.pos++ // F
	s.eat('Y')
	r := s.typ()
	if r.kind != plainType {
		s.fail()
	}
	ret := s.add(r.text, " ")
	t := node{text: s.cat(ret, s.params()), kind: funcType}
	if q != 0 {
		t.text, t.kind = s.add(t.text, q.String()), funcQualType
	}
	switch {
	case s.eat('R'):
		t.text, t.kind = s.add(t.text, " &"), funcQualType
	case s.eat('O'):
		t.text, t.kind = s.add(t.text, " &&"), funcQualType
	}
	s.expect('E')
	t.mid = t.text.start + int32(ret.len())
	return t
}

// arrayType parses an <array-type> with a constant or no dimension:
// A [<number>] _ <element type>.
func (s *state) arrayType() node {
	s.pos++ // A
	dim := ""
	if s.peek() != '_' {
		dim = s.digits()
	}
	s.expect('_')
	e := s.typ()
	var text span
	var mid int32
	switch e.kind {
	case plainType:
		text = s.add(e.text, " ")
		mid = text.end
		text = s.add(text, "[")
	case arrayType:
		text = s.add(span{e.text.start, e.mid}, "[")
		mid = text.end - 1
	default:
		s.fail()
		return node{}
	}
	text = s.add(text, dim)
	text = s.add(text, "]")
	if e.kind == arrayType {
		text = s.cat(text, span{e.mid, e.text.end})
	}
	return node{text: text, mid: mid, kind: arrayType}
}

// memberPointer parses a <pointer-to-member-type>: M <class type> <member
// type>.
func (s *state) memberPointer() node {
	s.pos++ // M
	class := s.typ()
	if class.kind != plainType {
		s.fail()
	}
	m := s.typ()
	switch m.kind {
	case plainType:
		text := s.add(m.text, " ")
		text = s.cat(text, class.text)
		return node{text: s.add(text, "::*")}
	case funcType, funcQualType, arrayType:
		text := s.add(span{m.text.start, m.mid}, "(")
		text = s.cat(text, class.text)
		text = s.add(text, "::*")
		t := node{mid: text.end, kind: funcDeclType}
		if m.kind == arrayType {
			text = s.add(text, ") ")
			t.kind = arrayDeclType
		} else {
			text = s.add(text, ")")
		}
		t.text = s.cat(text, span{m.mid, m.text.end})
		return t
	}
	s.fail()
	return node{}
}

// paramType parses a template parameter used as a type, and its template
// arguments if it is a template template parameter.
func (s *state) paramType() node {
	t := s.typeParam()
	s.addSub(t)
	if s.peek() == 'I' {
		t = node{text: s.argsAfter(s.scopeText(t))}
		s.addSub(t)
	}
	return t
}

// substitutionType parses a substitution used as a type, and its template
// arguments if it refers to a template.
func (s *state) substitutionType() node {
	t := s.substitution(false)
	if s.peek() == 'I' {
		t = node{text: s.argsAfter(s.scopeText(t)), base: t.base}
		s.addSub(t)
	}
	return t
}

// argsAfter parses template arguments and returns them printed after the
// template name.
func (s *state) argsAfter(name span) span {
	text, _ := s.templateArgs(name)
	return text
}

// dType parses the types whose codes start with D: builtin types and
// noexcept function types.
func (s *state) dType() node {
	c := s.peekAt(1)
	switch {
	case dBuiltins[c] != "":
		s.pos += 2
		return node{text: s.lit(dBuiltins[c])}
	case c == 'o' && s.peekAt(2) == 'F':
		t := s.noexceptType(0)
		s.addSub(t)
		return t
	}
	s.fail()
	return node{}
}

// noexceptType parses a noexcept function type, Do <function-type>, with
// the cv-qualifiers q that preceded it.
func (s *state) noexceptType(q quals) node {
	s.pos += 2 // Do
	t := s.functionType(0)
	if t.kind != funcType {
		s.fail() // a ref-qualifier
	}
	t.text, t.kind = s.add(t.text, " noexcept"), funcQualType
	t.text = s.add(t.text, q.String())
	return t
}
