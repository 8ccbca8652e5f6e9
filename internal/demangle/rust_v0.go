package demangle

import "strings"

// v0Body returns the v0 name p, the name after "_R", without its suffix
// (".llvm.1234"), and whether it may be one: it starts with a path (an
// uppercase tag) and holds only [A-Za-z0-9_]. Like c++filt, it takes no
// encoding version after "_R", which rustc never writes.
func v0Body(p string) (string, bool) {
	if i := strings.IndexByte(p, '.'); i >= 0 {
		p = p[:i]
	}
	if p == "" || !isUpper(p[0]) {
		return "", false
	}
	for i := 0; i < len(p); i++ {
		if nameBytes[p[i]]&v0Byte == 0 {
			return "", false
		}
	}
	return p, true
}

// Classes of the bytes of mangled names, in nameBytes.
const (
	v0Byte     = 1 << iota // [A-Za-z0-9_], the bytes of v0 names
	legacyByte             // [A-Za-z0-9_$.], the bytes of legacy names
)

// nameBytes holds the classes of each byte.
var nameBytes = func() (t [256]uint8) {
	for c := range t {
		if isAlnum(byte(c)) || c == '_' {
			t[c] = v0Byte | legacyByte
		}
	}
	t['$'] |= legacyByte
	t['.'] |= legacyByte
	return t
}()

// v0Symbol parses and prints a whole v0 name: the path, then the crate
// that instantiated it, which is not printed.
func (s *rustState) v0Symbol() {
	s.path(true)
	if s.more() {
		s.skip++
		s.path(false)
		s.skip--
	}
	if s.more() {
		s.fail()
	}
}

// path parses and prints a <path>. In a value (inValue), generic arguments
// print as "::<...>", in a type as "<...>".
func (s *rustState) path(inValue bool) {
	if !s.enter() {
		return
	}
	switch tag := s.next(); tag {
	case 'C': // crate root
		s.disambiguator()
		s.printIdent(s.ident())
	case 'N': // nested path
		ns := s.next()
		if !isLower(ns) && !isUpper(ns) {
			s.fail()
			break
		}
		s.path(inValue)
		dis := s.disambiguator()
		s.namespaced(ns, dis, s.ident())
	case 'M', 'X', 'Y': // <T>, <T as Trait> of an impl; <T as Trait>
		if tag != 'Y' {
			s.disambiguator()
			s.skip++ // the impl's own path
			s.path(false)
			s.skip--
		}
		s.printByte('<')
		s.typ()
		if tag != 'M' {
			s.print(" as ")
			s.path(false)
		}
		s.printByte('>')
	case 'I': // generic arguments
		s.path(inValue)
		s.genericArgs(inValue)
	case 'B':
		if at, ok := s.backref(); ok {
			saved := s.pos
			s.pos = at
			s.path(inValue)
			s.resume(saved)
		}
	default:
		s.fail()
	}
	s.leave()
}

// namespaced prints the last part of a nested path in namespace ns with
// the disambiguator dis: "::name" in the namespaces of the language
// (lowercase; nothing for an empty name), "::{closure#0}" or
// "::{shim:vtable#0}" in the special ones (uppercase).
func (s *rustState) namespaced(ns byte, dis uint64, id rustIdent) {
	if isLower(ns) {
		if !id.empty() {
			s.print("::")
			s.printIdent(id)
		}
		return
	}
	s.print("::{")
	switch ns {
	case 'C':
		s.print("closure")
	case 'S':
		s.print("shim")
	default:
		s.printByte(ns)
	}
	if !id.empty() {
		s.printByte(':')
		s.printIdent(id)
	}
	s.printByte('#')
	s.printUint(dis)
	s.printByte('}')
}

// genericArgs parses the generic arguments of an "I" path up to its "E",
// and prints them unless the style is Short.
func (s *rustState) genericArgs(inValue bool) {
	if s.short {
		s.skip++
	}
	if inValue {
		s.print("::")
	}
	s.printByte('<')
	for n := 0; !s.failed && !s.eat('E'); n++ {
		if n > 0 {
			s.print(", ")
		}
		s.genericArg()
	}
	s.printByte('>')
	if s.short {
		s.skip--
	}
}

// genericArg parses and prints a <generic-arg>: a lifetime, a constant or
// a type.
func (s *rustState) genericArg() {
	switch {
	case s.eat('L'):
		s.lifetime(s.integer62())
	case s.eat('K'):
		s.constant(false)
	default:
		s.typ()
	}
}

// backref parses a <backref> after its "B" and returns the offset it
// refers to, and whether to parse there: not while printing is skipped.
// A backref must refer to something before itself, so that following
// backrefs cannot loop.
func (s *rustState) backref() (int, bool) {
	at := s.pos - 1
	i := s.integer62()
	switch {
	case s.failed:
		return 0, false
	case i >= uint64(at):
		s.fail()
		return 0, false
	}
	return int(i), s.skip == 0
}

// resume goes back to offset saved after a backref was followed, unless
// parsing failed meanwhile.
func (s *rustState) resume(saved int) {
	if !s.failed {
		s.pos = saved
	}
}

// lifetime prints the lifetime with the de Bruijn index lt: 0 is '_, and
// 1 the lifetime bound last by the enclosing binders. They are named 'a,
// 'b... from the outermost, then '_26, '_27... Lifetimes are not checked
// while printing is skipped, for binders are not tracked then.
func (s *rustState) lifetime(lt uint64) {
	if !s.printing() {
		return
	}
	s.printByte('\'')
	if lt == 0 {
		s.printByte('_')
		return
	}
	if lt > s.bound {
		s.fail()
		return
	}
	if depth := s.bound - lt; depth < 26 {
		s.printByte('a' + byte(depth))
	} else {
		s.printByte('_')
		s.printUint(depth)
	}
}

// binder parses an optional <binder>, "G" and the number of lifetimes it
// binds, and prints them: "for<'a, 'b> ". The caller restores s.bound
// after the bound construct.
func (s *rustState) binder() {
	n := s.optInteger62('G')
	if n == 0 || !s.printing() {
		return
	}
	s.print("for<")
	for i := uint64(0); i < n && !s.failed; i++ {
		if i > 0 {
			s.print(", ")
		}
		s.bound++
		s.lifetime(1)
	}
	s.print("> ")
}

// integer62 parses a <base-62-number>: "_" is 0, and digits in base 62
// (0-9a-zA-Z) then "_" are one more than their value.
func (s *rustState) integer62() uint64 {
	const maxU64 = 1<<64 - 1
	if s.pos < len(s.in) && s.in[s.pos] == '_' {
		s.pos++
		return 0
	}
	var x uint64
	for i := s.pos; i < len(s.in); i++ {
		c := s.in[i]
		if c == '_' {
			if x == maxU64 {
				break
			}
			s.pos = i + 1
			return x + 1
		}
		d := base62Digits[c]
		if d >= 62 || x >= 1<<58 && x > (maxU64-uint64(d))/62 {
			break
		}
		x = x*62 + uint64(d)
	}
	s.fail()
	return 0
}

// optInteger62 parses tag and a <base-62-number> if tag follows, and
// returns one more than the number, or 0 without tag.
func (s *rustState) optInteger62(tag byte) uint64 {
	if !s.eat(tag) {
		return 0
	}
	x := s.integer62()
	if x == 1<<64-1 {
		s.fail()
		return 0
	}
	return x + 1
}

// disambiguator parses an optional <disambiguator>, "s" and a number.
func (s *rustState) disambiguator() uint64 { return s.optInteger62('s') }

// base62Digits holds the value of each base-62 digit (0-9a-zA-Z), and 62
// for the other bytes.
var base62Digits = func() (t [256]uint8) {
	for c := range t {
		switch b := byte(c); {
		case isDigit(b):
			t[c] = b - '0'
		case isLower(b):
			t[c] = b - 'a' + 10
		case isUpper(b):
			t[c] = b - 'A' + 36
		default:
			t[c] = 62
		}
	}
	return t
}()
