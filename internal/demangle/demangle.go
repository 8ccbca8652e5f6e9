// Package demangle demangles symbol names: Rust's, in full, and a fast
// path for Itanium C++ ABI names, the ones starting with "_Z" that GCC and
// Clang emit.
//
// AppendRust demangles both of rustc's manglings, legacy and v0, as
// rustc's own demangler (rustc-demangle) and c++filt print them. A v0
// name refers back to earlier parts of itself, which it prints by parsing
// them again, within limits on nesting and size.
//
// AppendItanium prints the common C++ constructs without building a syntax
// tree: text is appended to an arena as the mangled name is read, and
// substitutions and template parameters are copies of byte ranges of it.
// Its output is byte for byte what github.com/ianlancetaylor/demangle
// prints. Whatever it does not handle, it reports with ok=false, so that a
// caller falls back to that library.
package demangle

import "sync"

// Style says how much of a name AppendItanium and AppendRust print.
type Style uint8

const (
	// Full prints the whole name. For C++: the return type of a function
	// template, template arguments, parameter types, qualifiers of a
	// member function and clone suffixes, as
	// demangle.ToString(name) does. For Rust: generic arguments, as
	// rustc-demangle's alternate form prints them.
	Full Style = iota
	// Short prints the qualified name alone. For C++: without template
	// arguments, the function's parameters or clone suffixes, as
	// demangle.ToString(name, demangle.NoParams,
	// demangle.NoTemplateParams, demangle.NoClones) does. For Rust:
	// without generic arguments.
	Short
)

// String returns the name of the style: "Full" or "Short".
func (st Style) String() string {
	if st == Short {
		return "Short"
	}
	return "Full"
}

// Limits on the work done for one name: hostile input fails on them
// instead of taking time or memory.
const (
	maxInput = 1 << 16 // bytes of mangled name
	maxDepth = 200     // nesting of names, types and template arguments
	maxText  = 1 << 18 // bytes of text in the arena
	maxKept  = 1 << 16 // arena capacity a pooled state keeps
)

var states = sync.Pool{New: func() any { return new(state) }}

// AppendItanium appends the demangled form of the Itanium C++ symbol name
// mangled, printed in the given style, to dst and returns the extended
// slice and ok=true. The text is the one github.com/ianlancetaylor/demangle
// gives for the same name and style, with its NoRust option: a name shaped
// like a legacy Rust one is demangled as C++ (AppendRust takes Rust names).
//
// It returns dst unchanged and ok=false for a name that does not start with
// "_Z", is malformed, or uses a construct this package leaves to that
// library: lambdas' template parameters, decltype and most other
// expressions, vector types, floating-point literals and the like.
//
// It is safe for concurrent use, and allocates nothing but the growth of
// dst once warmed up.
func AppendItanium(dst []byte, mangled string, style Style) ([]byte, bool) {
	if len(mangled) < 3 || len(mangled) > maxInput || mangled[0] != '_' || mangled[1] != 'Z' {
		return dst, false
	}
	s := states.Get().(*state)
	s.reset(mangled[2:], style == Short)
	out, ok := s.demangle(dst)
	if cap(s.buf) <= maxKept {
		states.Put(s)
	}
	if !ok {
		return dst, false
	}
	return out, true
}

// state demangles one name.
type state struct {
	in     string // the mangled name after "_Z"
	pos    int    // offset in in of the next byte to read
	short  bool   // Short style: template arguments are not printed
	failed bool   // the name is malformed or needs the fallback
	depth  int    // nesting of the parsing functions

	buf   []byte // arena: every piece of text printed so far
	subs  []node // substitution candidates, in order
	args  []targ // template arguments; an argList is a range of it
	stack []targ // arguments of the lists being parsed

	// Template parameters refer to scope, the arguments of the
	// outermost of the scopes function templates whose signatures are
	// being parsed. scopeID identifies the innermost of those; bound is
	// set once a template parameter was resolved in it (see bindNow).
	scope             argList
	scopes            int
	scopeID, scopeIDs int32
	bound             bool

	// simplified is the number of substitution candidates that existed
	// when the library would first have rewritten part of its syntax tree
	// (collapsing references, expanding a pack), or -1. The library
	// prints a later reference to a rewritten node without the rewrite,
	// so references to candidates from there on fail.
	simplified int

	// Contexts where the library prints some constructs its own way.
	lambda int // nesting of lambda signatures
	casts  int // nesting of conversion operator types
	raw    int // nesting of special names' types, printed as parsed
	// plainOnly is set where function and array types are left to the
	// fallback: the library prints those in lambda signatures and
	// conversion operators with the declarators of enclosing types.
	plainOnly bool
}

// reset prepares s for the name in.
func (s *state) reset(in string, short bool) {
	*s = state{
		in:         in,
		short:      short,
		buf:        s.buf[:0],
		subs:       s.subs[:0],
		args:       s.args[:0],
		stack:      s.stack[:0],
		simplified: -1,
	}
}

// demangle parses the whole name and appends its text to dst.
func (s *state) demangle(dst []byte) ([]byte, bool) {
	var (
		n              name
		ret, params    span
		function       bool
		clones, cloned string
	)
	if s.atSpecial() {
		n.text = s.special()
	} else {
		n = s.name()
		if !s.short && s.more() && s.peek() != 'E' {
			function = true
			ret, params = s.signature(&n)
		}
	}
	if !s.short {
		start := s.pos
		s.skipClones()
		clones, cloned = s.in[start:s.pos], s.in[s.pos:]
		if cloned != "" || (!function && n.quals != 0) {
			s.fail()
		}
	}
	if s.failed {
		return dst, false
	}
	if ret.len() > 0 {
		dst = append(dst, s.text(ret)...)
		dst = append(dst, ' ')
	}
	dst = append(dst, s.text(n.text)...)
	if function {
		dst = append(dst, s.text(params)...)
		dst = n.quals.append(dst)
	}
	return appendClones(dst, clones), true
}

// atSpecial reports whether a special name (thunk, vtable...) follows.
func (s *state) atSpecial() bool {
	c := s.peek()
	return c == 'T' || c == 'G'
}

// skipClones skips the clone suffixes GCC appends to the names of the
// copies of a function it makes: ".cold", ".isra.0", ".constprop.0"...
func (s *state) skipClones() {
	for n := cloneLen(s.in[s.pos:]); n > 0; n = cloneLen(s.in[s.pos:]) {
		s.pos += n
	}
}

// appendClones appends " [clone .suffix]" for each suffix in clones, a run
// of suffixes skipClones accepted.
func appendClones(dst []byte, clones string) []byte {
	for n := cloneLen(clones); n > 0; n = cloneLen(clones) {
		dst = append(dst, " [clone "...)
		dst = append(dst, clones[:n]...)
		dst = append(dst, ']')
		clones = clones[n:]
	}
	return dst
}

// cloneLen returns the length of the clone suffix that p starts with, a dot
// and a word followed by numbers (".part.0"), or 0.
func cloneLen(p string) int {
	if len(p) < 2 || p[0] != '.' || !isCloneByte(p[1]) {
		return 0
	}
	n := 2
	for n < len(p) && isCloneByte(p[n]) {
		n++
	}
	for n+1 < len(p) && p[n] == '.' && isDigit(p[n+1]) {
		n += 2
		for n < len(p) && isDigit(p[n]) {
			n++
		}
	}
	return n
}

func isCloneByte(c byte) bool { return isLower(c) || isDigit(c) || c == '_' }

// special parses a <special-name>: thunks, transaction clones, virtual
// tables, typeinfo, guard variables and TLS functions.
func (s *state) special() span {
	c0, c1 := s.peek(), s.peekAt(1)
	s.pos += 2
	switch {
	case c0 == 'T' && c1 == 'h':
		s.callOffset('h')
		return s.prefixed("non-virtual thunk to ", s.encodingText(true))
	case c0 == 'T' && c1 == 'v':
		s.callOffset('v')
		return s.prefixed("virtual thunk to ", s.encodingText(true))
	case c0 == 'T' && c1 == 'c':
		s.callOffset(0)
		s.callOffset(0)
		return s.prefixed("covariant return thunk to ", s.encodingText(true))
	case c0 == 'G' && c1 == 'T' && s.peek() == 't':
		s.pos++
		return s.prefixed("transaction clone for ", s.encodingText(true))
	case c0 == 'G' && c1 == 'T' && s.peek() == 'n':
		s.pos++
		return s.prefixed("non-transaction clone for ", s.encodingText(true))
	case c0 == 'T' && c1 == 'V':
		return s.prefixed("vtable for ", s.rawType())
	case c0 == 'T' && c1 == 'T':
		return s.prefixed("VTT for ", s.rawType())
	case c0 == 'T' && c1 == 'I':
		return s.prefixed("typeinfo for ", s.rawType())
	case c0 == 'T' && c1 == 'S':
		return s.prefixed("typeinfo name for ", s.rawType())
	case c0 == 'T' && c1 == 'H':
		return s.prefixed("TLS init function for ", s.name().text)
	case c0 == 'T' && c1 == 'W':
		return s.prefixed("TLS wrapper function for ", s.name().text)
	case c0 == 'G' && c1 == 'V':
		return s.prefixed("guard variable for ", s.name().text)
	}
	s.fail()
	return span{}
}

// rawType parses the type of a special name, which the library prints as
// parsed, without collapsing references.
func (s *state) rawType() span {
	s.raw++
	t := s.typ()
	s.raw--
	return t.text
}

// prefixed returns the text of prefix followed by that of t.
func (s *state) prefixed(prefix string, t span) span {
	return s.cat(s.lit(prefix), t)
}

// callOffset skips the offsets of a thunk: kind 'h' is a non-virtual
// offset, 'v' a virtual one, and 0 reads the kind first.
func (s *state) callOffset(kind byte) {
	if kind == 0 {
		kind = s.peek()
		s.pos++
	}
	switch kind {
	case 'h':
		s.offset()
	case 'v':
		s.offset()
		s.offset()
	default:
		s.fail()
	}
}

// offset skips an offset of a thunk: [n] <number> _.
func (s *state) offset() {
	s.eat('n')
	s.number()
	s.expect('_')
}

// encodingText parses the <encoding> of a function or variable nested in
// another name (a local name, a special name, a template argument) and
// returns its text, with the return type of a function template when
// withReturn is set. Special names nested so are left to the fallback.
func (s *state) encodingText(withReturn bool) span {
	n := s.name()
	if !s.more() || s.peek() == 'E' {
		if n.quals != 0 {
			s.fail()
		}
		return n.text
	}
	ret, params := s.signature(&n)
	text := n.text
	if withReturn && ret.len() > 0 {
		text = s.cat(s.add(ret, " "), text)
	}
	text = s.cat(text, params)
	return s.add(text, n.quals.String())
}

// signature parses the <bare-function-type> of a function named n: the
// return type of a function template, which it returns printed alone, and
// the parameter types, which it returns printed as "(...)".
func (s *state) signature(n *name) (ret, params span) {
	if n.tmpl {
		outer := s.enterScope(n.args)
		defer s.leaveScope(outer)
		if !n.cdtor {
			t := s.typ()
			if t.kind != plainType {
				s.fail() // printed around the name
			}
			ret = t.text
		}
	}
	params = s.params()
	if s.peek() == 'Q' {
		s.fail() // a requires clause
	}
	return ret, params
}

// scope identifies a function template whose signature is being parsed.
type scope struct {
	id    int32
	bound bool
}

// enterScope starts the signature of a function template with the
// template arguments args and returns the enclosing scope. Template
// parameters refer to the arguments of the outermost such function.
func (s *state) enterScope(args argList) scope {
	if s.scopes == 0 {
		s.scope = args
	}
	s.scopes++
	outer := scope{s.scopeID, s.bound}
	s.scopeIDs++
	s.scopeID, s.bound = s.scopeIDs, false
	return outer
}

// leaveScope ends the signature enterScope started.
func (s *state) leaveScope(outer scope) {
	s.scopes--
	s.scopeID, s.bound = outer.id, outer.bound
}

// bindNow returns the binding of a substitution candidate created now: the
// library prints a substitution with its template parameters bound to the
// arguments of the innermost function template being parsed where it is
// used, which may differ from those they were resolved to. A candidate
// created after a template parameter was resolved in the innermost scope
// records that scope, and references to it from elsewhere fail.
func (s *state) bindNow() int32 {
	if s.scopes > 0 && s.bound {
		return s.scopeID
	}
	return 0
}

// params parses the parameter types of a function and returns them printed
// as "(...)". A lone "void" prints as "()".
func (s *state) params() span {
	l := list{text: s.lit("(")}
	if s.peek() == 'v' && s.paramsEnd(s.pos+1) {
		s.pos++
		return s.add(l.text, ")")
	}
	count := 0
	for ; !s.paramsEnd(s.pos); count++ {
		if s.peek() == 'D' && s.peekAt(1) == 'p' {
			s.expansion(&l)
			continue
		}
		s.sep(&l)
		l.text = s.cat(l.text, s.typ().text)
	}
	if count == 0 {
		s.fail()
	}
	return s.add(l.text, ")")
}

// paramsEnd reports whether the parameter types of a function end at
// offset i: at the end of the name, its clone suffixes, the end of an
// enclosing construct, a ref-qualifier or a requires clause.
func (s *state) paramsEnd(i int) bool {
	if i >= len(s.in) {
		return true
	}
	switch s.in[i] {
	case 'E', '.', 'Q':
		return true
	case 'R', 'O':
		return i+1 < len(s.in) && s.in[i+1] == 'E'
	}
	return false
}

// enter records one more level of nesting, failing past maxDepth.
func (s *state) enter() bool {
	s.depth++
	if s.depth > maxDepth {
		s.fail()
		return false
	}
	return true
}

// leave undoes enter.
func (s *state) leave() { s.depth-- }

// fail marks the name as one to leave to the fallback and stops parsing:
// every later read sees the end of the input.
func (s *state) fail() {
	s.failed = true
	s.pos = len(s.in)
}

// more reports whether input remains.
func (s *state) more() bool { return s.pos < len(s.in) }

// peek returns the next byte, or 0 at the end.
func (s *state) peek() byte { return s.peekAt(0) }

// peekAt returns the byte i after the next, or 0 past the end.
func (s *state) peekAt(i int) byte {
	if s.pos+i < len(s.in) {
		return s.in[s.pos+i]
	}
	return 0
}

// eat skips the next byte if it is c and reports whether it was.
func (s *state) eat(c byte) bool {
	if s.peek() == c && s.more() {
		s.pos++
		return true
	}
	return false
}

// expect skips the next byte, which must be c.
func (s *state) expect(c byte) {
	if !s.eat(c) {
		s.fail()
	}
}

// maxNumber bounds the numbers read; the library rejects larger ones.
const maxNumber = 1 << 24

// number parses a <number> without sign.
func (s *state) number() int {
	start, n := s.pos, 0
	for s.more() && isDigit(s.in[s.pos]) {
		n = n*10 + int(s.in[s.pos]-'0')
		if n >= maxNumber {
			s.fail()
			return 0
		}
		s.pos++
	}
	if s.pos == start {
		s.fail()
	}
	return n
}

// digits parses a run of decimal digits and returns it.
func (s *state) digits() string {
	start := s.pos
	for s.more() && isDigit(s.in[s.pos]) {
		s.pos++
	}
	if s.pos == start {
		s.fail()
	}
	return s.in[start:s.pos]
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
