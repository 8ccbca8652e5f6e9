package demangle

import "strconv"

// name is a parsed <name>.
type name struct {
	text  span    // the printed name
	base  span    // identifier of the last class, which its constructors repeat
	args  argList // template arguments of the last component, when tmpl
	tmpl  bool    // the last component has template arguments
	cdtor bool    // the last component is a constructor, destructor or conversion
	local bool    // a local name
	quals quals   // qualifiers of a member function
}

// name parses a <name>.
func (s *state) name() name {
	if !s.enter() {
		return name{}
	}
	var n name
	switch s.peek() {
	case 'N':
		n = s.nestedName()
	case 'Z':
		n = s.localName()
	default:
		n = s.unscopedName()
	}
	s.leave()
	return n
}

// unscopedName parses an <unscoped-name>, possibly in namespace std, and
// the template arguments that may follow it.
func (s *state) unscopedName() name {
	var n name
	std := s.stdScope()
	closure := std.len() == 0 && s.peek() == 'U'
	n.text, n.base, n.cdtor = s.component(std, span{})
	if s.peek() == 'I' {
		if closure {
			s.fail() // the library does not take template arguments here
		}
		s.addSub(node{text: n.text, base: n.base})
		n.text, n.args = s.templateArgs(n.text)
		n.tmpl = true
	}
	return n
}

// stdScope parses the St of a name in namespace std and returns "std::",
// or returns an empty span when there is none.
func (s *state) stdScope() span {
	if s.peek() == 'S' && s.peekAt(1) == 't' {
		s.pos += 2
		return s.lit("std::")
	}
	return span{}
}

// nestedName parses a <nested-name>: N [<qualifiers>] <prefix> <component> E.
// Each prefix followed by another component is a substitution candidate.
func (s *state) nestedName() name {
	s.pos++ // N
	var n name
	n.quals = s.methodQuals()
	cur, known := s.firstComponent(&n)
	if known && s.peek() == 'E' {
		s.fail()
	}
	for s.more() && s.peek() != 'E' {
		if !known {
			s.addSub(node{text: cur, base: n.base})
		}
		known = false
		if s.peek() == 'I' {
			if n.tmpl {
				s.fail()
			}
			cur, n.args = s.templateArgs(cur)
			n.tmpl = true
			continue
		}
		cur, n.base, n.cdtor = s.component(s.add(cur, "::"), n.base)
		n.tmpl = false
	}
	s.expect('E')
	n.text = cur
	return n
}

// firstComponent parses the first component of a nested name into n and
// returns its text, and whether it is a substitution or template parameter,
// which is not a new substitution candidate.
func (s *state) firstComponent(n *name) (text span, known bool) {
	switch {
	case s.peek() == 'S' && s.peekAt(1) != 't':
		t := s.substitution(true)
		n.base = t.base
		return s.scopeText(t), true
	case s.peek() == 'T':
		p := s.typeParam()
		s.addSub(p)
		n.base = p.base
		return s.scopeText(p), true
	}
	text, n.base, n.cdtor = s.component(s.stdScope(), span{})
	return text, false
}

// scopeText returns the text of t, which a name qualifies or template
// arguments follow: it must be a plain type, not a declarator's.
func (s *state) scopeText(t node) span {
	if t.kind != plainType {
		s.fail()
	}
	return t.text
}

// component parses an <unqualified-name>, or a constructor or destructor
// of the class whose identifier is base, with its ABI tags. It returns its
// text printed after scope, the identifier a constructor would repeat, and
// whether it is a constructor, destructor or conversion operator.
func (s *state) component(scope, base span) (text, id span, cdtor bool) {
	switch c := s.peek(); {
	case isDigit(c):
		id = s.sourceName()
		text = id
	case c == 'L':
		s.pos++
		id = s.sourceName()
		text = id
		s.discriminator()
	case c == 'U':
		text = s.unnamed()
	case c == 'C' || (c == 'D' && isDigit(s.peekAt(1))):
		text, cdtor = s.structor(base), true
	case isLower(c):
		text, cdtor = s.operatorName()
	default:
		s.fail()
	}
	text = s.cat(scope, text)
	for s.peek() == 'B' {
		text = s.abiTag(text)
	}
	return text, id, cdtor
}

// sourceName parses a <source-name>: an identifier preceded by its length.
func (s *state) sourceName() span {
	n := s.number()
	if n == 0 || n > len(s.in)-s.pos {
		s.fail()
		return span{}
	}
	id := s.in[s.pos : s.pos+n]
	s.pos += n
	if !isIdentifier(id) {
		s.fail()
		return span{}
	}
	if isAnonymousNamespace(id) {
		return s.lit("(anonymous namespace)")
	}
	return s.lit(id)
}

// isIdentifier reports whether id is made of the bytes of identifiers:
// others, such as parentheses, change how the library spaces the text.
func isIdentifier(id string) bool {
	for i := 0; i < len(id); i++ {
		if !identifierBytes[id[i]] {
			return false
		}
	}
	return true
}

// identifierBytes holds the bytes of identifiers: letters, digits, _, $
// and . in ASCII, and all the bytes of UTF-8 sequences.
var identifierBytes = func() (t [256]bool) {
	for c := range t {
		b := byte(c)
		t[c] = isLower(b) || isUpper(b) || isDigit(b) || b == '_' || b == '$' || b == '.' || b >= 0x80
	}
	return t
}()

// isAnonymousNamespace reports whether id is GCC's name for an anonymous
// namespace, such as _GLOBAL__N_1.
func isAnonymousNamespace(id string) bool {
	const prefix = "_GLOBAL_"
	if len(id) <= len(prefix)+2 || id[:len(prefix)] != prefix {
		return false
	}
	c := id[len(prefix)]
	return (c == '.' || c == '_' || c == '$') && id[len(prefix)+1] == 'N'
}

// abiTag parses B <source-name> and returns text followed by "[abi:tag]".
func (s *state) abiTag(text span) span {
	s.pos++ // B
	text = s.add(text, "[abi:")
	text = s.cat(text, s.sourceName())
	return s.add(text, "]")
}

// structor parses the code of a constructor or destructor of the class
// whose identifier is base and returns its name.
func (s *state) structor(base span) span {
	c, kind := s.peek(), s.peekAt(1)
	s.pos += 2
	if base.len() == 0 || (c == 'C' && (kind < '1' || kind > '5')) || (c == 'D' && !isDestructor(kind)) {
		s.fail()
		return span{}
	}
	if c == 'C' {
		return s.atEnd(base)
	}
	return s.cat(s.lit("~"), base)
}

func isDestructor(kind byte) bool {
	return kind == '0' || kind == '1' || kind == '2' || kind == '4' || kind == '5'
}

// operatorName parses an <operator-name> and returns its text, and whether
// it is a conversion operator.
func (s *state) operatorName() (span, bool) {
	code := s.in[s.pos:min(s.pos+2, len(s.in))]
	s.pos += len(code)
	switch code {
	case "cv":
		text := s.lit("operator ")
		s.casts++
		plainOnly := s.plainOnly
		s.plainOnly = true
		t := s.typ()
		s.casts--
		s.plainOnly = plainOnly
		if c := s.peek(); t.kind != plainType || c == 'I' || c == 'B' {
			s.fail() // conversion templates are resolved in ways of their own
		}
		return s.cat(text, t.text), true
	case "li":
		return s.cat(s.lit(`operator"" `), s.sourceName()), false
	}
	op := operatorText(code)
	if op == "" {
		s.fail()
		return span{}, false
	}
	return s.lit(op), false
}

// operatorText returns the name of the operator function with the given
// code, or "" for codes of operators that only expressions use.
func operatorText(code string) string {
	switch code {
	case "nw":
		return "operator new"
	case "na":
		return "operator new[]"
	case "dl":
		return "operator delete"
	case "da":
		return "operator delete[]"
	case "aw":
		return "operator co_await"
	case "ps", "pl":
		return "operator+"
	case "ng", "mi":
		return "operator-"
	case "ad", "an":
		return "operator&"
	case "de", "ml":
		return "operator*"
	case "co":
		return "operator~"
	case "dv":
		return "operator/"
	case "rm":
		return "operator%"
	case "or":
		return "operator|"
	case "eo":
		return "operator^"
	case "aS":
		return "operator="
	case "pL":
		return "operator+="
	case "mI":
		return "operator-="
	case "mL":
		return "operator*="
	case "dV":
		return "operator/="
	case "rM":
		return "operator%="
	case "aN":
		return "operator&="
	case "oR":
		return "operator|="
	case "eO":
		return "operator^="
	case "ls":
		return "operator<<"
	case "rs":
		return "operator>>"
	case "lS":
		return "operator<<="
	case "rS":
		return "operator>>="
	case "eq":
		return "operator=="
	case "ne":
		return "operator!="
	case "lt":
		return "operator<"
	case "gt":
		return "operator>"
	case "le":
		return "operator<="
	case "ge":
		return "operator>="
	case "ss":
		return "operator<=>"
	case "nt":
		return "operator!"
	case "aa":
		return "operator&&"
	case "oo":
		return "operator||"
	case "pp":
		return "operator++"
	case "mm":
		return "operator--"
	case "cm":
		return "operator,"
	case "pm":
		return "operator->*"
	case "pt":
		return "operator->"
	case "cl":
		return "operator()"
	case "ix":
		return "operator[]"
	}
	return ""
}

// unnamed parses the name of a closure type or of an unnamed type.
func (s *state) unnamed() span {
	switch s.peekAt(1) {
	case 'l':
		return s.closureType()
	case 't':
		return s.unnamedType()
	}
	s.fail()
	return span{}
}

// closureType parses the name of a lambda's type, Ul <signature> E
// [<number>] _, and returns "{lambda(<parameters>)#N}".
func (s *state) closureType() span {
	s.pos += 2 // Ul
	if s.peek() == 'T' && isLower(s.peekAt(1)) {
		s.fail() // template parameter declarations
	}
	text := s.lit("{lambda")
	s.lambda++
	plainOnly := s.plainOnly
	s.plainOnly = true
	text = s.cat(text, s.params())
	s.lambda--
	s.plainOnly = plainOnly
	s.expect('E')
	return s.ordinal(s.add(text, "#"))
}

// unnamedType parses the name of an unnamed type, Ut [<number>] _, a
// substitution candidate by itself, and returns "{unnamed type#N}".
func (s *state) unnamedType() span {
	s.pos += 2 // Ut
	text := s.ordinal(s.lit("{unnamed type#"))
	s.addSub(node{text: text})
	return text
}

// ordinal parses the [<number>] _ numbering closure and unnamed types and
// returns text followed by their ordinal and "}".
func (s *state) ordinal(text span) span {
	n := 1
	if s.peek() != '_' {
		n = s.number() + 2
	}
	s.expect('_')
	text = s.atEnd(text)
	s.buf = strconv.AppendInt(s.buf, int64(n), 10)
	return s.add(s.grown(int(text.start)), "}")
}

// localName parses a <local-name>: Z <encoding> E <entity> [<discriminator>].
func (s *state) localName() name {
	s.pos++ // Z
	scope := s.add(s.encodingText(false), "::")
	s.expect('E')
	if s.eat('s') {
		s.discriminator()
		return name{text: s.add(scope, "string literal")}
	}
	if s.peek() == 'd' {
		s.fail() // default argument
	}
	n := s.name()
	if n.local && n.quals != 0 {
		s.fail() // the library prints them where they are
	}
	n.text, n.local = s.cat(scope, n.text), true
	s.discriminator()
	return n
}

// discriminator skips the <discriminator> of a local name, _ <digit> or
// __ <number> _, or the digits Clang may leave at the end of the name.
func (s *state) discriminator() {
	if !s.eat('_') {
		rest := s.pos
		for rest < len(s.in) && isDigit(s.in[rest]) {
			rest++
		}
		if rest == len(s.in) {
			s.pos = rest
		}
		return
	}
	long := s.eat('_')
	if s.number() >= 10 && long {
		s.expect('_')
	}
}

// substitution parses a <substitution> and returns what it refers to. In a
// nested name (prefix set), std::string and the stream abbreviations
// before a constructor or destructor print as the class templates they
// stand for.
func (s *state) substitution(prefix bool) node {
	s.pos++ // S
	c := s.peek()
	for i := range stdSubs {
		if std := &stdSubs[i]; c == std.code {
			s.pos++
			if prefix && std.class != "" && s.atStructor() {
				return s.stdSub(std.class, std.args)
			}
			return s.stdSub(std.text, "")
		}
	}
	i := 0
	if !s.eat('_') {
		i = s.seqID() + 1
		s.expect('_')
	}
	if i >= len(s.subs) || (s.simplified >= 0 && i >= s.simplified) {
		s.fail()
		return node{}
	}
	t := s.subs[i]
	if t.kind == packType || (t.bind != 0 && (t.bind != s.bindNow() || s.lambda > 0)) {
		s.fail() // see state.simplified, bindNow, templateParam
	}
	return t
}

// stdSubs are the abbreviations of the standard library's names.
var stdSubs = [...]struct {
	code byte
	text string // printed alone
	// class and args are printed for a constructor or destructor of
	// the class the abbreviation stands for.
	class, args string
}{
	{'a', "std::allocator", "", ""},
	{'b', "std::basic_string", "", ""},
	{'s', "std::string", "std::basic_string", "<char, std::char_traits<char>, std::allocator<char> >"},
	{'i', "std::istream", "std::basic_istream", "<char, std::char_traits<char> >"},
	{'o', "std::ostream", "std::basic_ostream", "<char, std::char_traits<char> >"},
	{'d', "std::iostream", "std::basic_iostream", "<char, std::char_traits<char> >"},
}

// stdSub returns the node of a standard abbreviation printed as class
// followed, in Full style, by args.
func (s *state) stdSub(class, args string) node {
	const scope = int32(len("std::"))
	text := s.lit(class)
	t := node{text: text, base: span{text.start + scope, text.end}}
	if !s.short {
		t.text = s.add(text, args)
	}
	return t
}

// atStructor reports whether a constructor or destructor name follows.
func (s *state) atStructor() bool {
	c := s.peek()
	return c == 'C' || (c == 'D' && isDigit(s.peekAt(1)))
}

// seqID parses the base 36 <seq-id> of a substitution.
func (s *state) seqID() int {
	n := 0
	for s.more() && s.peek() != '_' {
		c := s.peek()
		switch {
		case isDigit(c):
			n = n*36 + int(c-'0')
		case isUpper(c):
			n = n*36 + int(c-'A') + 10
		default:
			s.fail()
			return 0
		}
		if n >= maxNumber {
			s.fail()
			return 0
		}
		s.pos++
	}
	return n
}

// templateParam parses a <template-param>, T_ or T <number> _, and returns
// the argument it refers to.
func (s *state) templateParam() targ {
	s.pos++ // T
	i := 0
	if !s.eat('_') {
		i = s.number() + 1
		s.expect('_')
	}
	// In a lambda's signature a template parameter may be an auto
	// parameter, in a conversion operator's type a forward reference,
	// and in nested function templates the library binds it in ways
	// hard to follow: all are left to the fallback.
	if s.scopes != 1 || s.lambda > 0 || s.casts > 0 || i >= s.scope.len() {
		s.fail()
		return targ{}
	}
	s.bound = true
	a := s.args[int(s.scope.lo)+i]
	if a.late || a.kind == packType {
		s.fail()
	}
	return a
}

// typeParam parses a template parameter that stands for one argument, not
// an argument pack. A constructor after it would repeat the whole
// argument: it has no base.
func (s *state) typeParam() node {
	p := s.templateParam()
	if p.isPack {
		s.fail()
	}
	p.base = span{}
	return p.node
}

// addSub adds a substitution candidate.
func (s *state) addSub(t node) {
	t.bind = s.bindNow()
	s.subs = append(s.subs, t)
}

// markSimplified records that the library rewrites the node being parsed;
// see state.simplified.
func (s *state) markSimplified() {
	if s.simplified < 0 {
		s.simplified = len(s.subs)
	}
}
