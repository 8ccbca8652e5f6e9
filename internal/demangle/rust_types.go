package demangle

// rustBasicTypes holds the text of the basic types, by tag.
var rustBasicTypes = [128]string{
	'a': "i8", 'b': "bool", 'c': "char", 'd': "f64", 'e': "str", 'f': "f32",
	'h': "u8", 'i': "isize", 'j': "usize", 'l': "i32", 'm': "u32", 'n': "i128",
	'o': "u128", 'p': "_", 's': "i16", 't': "u16", 'u': "()", 'v': "...",
	'x': "i64", 'y': "u64", 'z': "!",
}

// basicType returns the text of the basic type with the given tag, or "".
func basicType(tag byte) string {
	if tag < 128 {
		return rustBasicTypes[tag]
	}
	return ""
}

// typ parses and prints a <type>.
func (s *rustState) typ() {
	tag := s.next()
	if s.failed {
		return
	}
	if b := basicType(tag); b != "" {
		s.print(b)
		return
	}
	if !s.enter() {
		return
	}
	switch tag {
	case 'R', 'Q': // &T, &mut T
		s.printByte('&')
		if s.eat('L') {
			if lt := s.integer62(); lt != 0 {
				s.lifetime(lt)
				s.printByte(' ')
			}
		}
		if tag == 'Q' {
			s.print("mut ")
		}
		s.typ()
	case 'P': // *const T
		s.print("*const ")
		s.typ()
	case 'O': // *mut T
		s.print("*mut ")
		s.typ()
	case 'A': // [T; N]
		s.printByte('[')
		s.typ()
		s.print("; ")
		s.constant(true)
		s.printByte(']')
	case 'S': // [T]
		s.printByte('[')
		s.typ()
		s.printByte(']')
	case 'T': // (T, U)
		s.printByte('(')
		if s.typeList() == 1 {
			s.printByte(',')
		}
		s.printByte(')')
	case 'F':
		s.fnType()
	case 'D':
		s.dynType()
	case 'B':
		if at, ok := s.backref(); ok {
			saved := s.pos
			s.pos = at
			s.typ()
			s.resume(saved)
		}
	default: // a named type: the tag starts a path
		s.pos--
		s.path(false)
	}
	s.leave()
}

// typeList parses and prints types separated by ", " up to an "E", and
// returns how many there were.
func (s *rustState) typeList() int {
	n := 0
	for ; !s.failed && !s.eat('E'); n++ {
		if n > 0 {
			s.print(", ")
		}
		s.typ()
	}
	return n
}

// fnType parses and prints a function pointer type after its "F":
// "for<'a> unsafe extern "C" fn(&'a u8) -> u8".
func (s *rustState) fnType() {
	outer := s.bound
	s.binder()
	unsafe := s.eat('U')
	var abi string
	if s.eat('K') {
		if s.eat('C') {
			abi = "C"
		} else if id := s.ident(); id.ascii != "" && id.puny == "" {
			abi = id.ascii
		} else {
			s.fail()
		}
	}
	if unsafe {
		s.print("unsafe ")
	}
	if abi != "" {
		s.print(`extern "`)
		// rustc writes the "-" of an ABI's name as "_".
		for i := 0; i < len(abi); i++ {
			if abi[i] == '_' {
				s.printByte('-')
			} else {
				s.printByte(abi[i])
			}
		}
		s.print(`" `)
	}
	s.print("fn(")
	s.typeList()
	s.printByte(')')
	if !s.eat('u') { // a return type other than ()
		s.print(" -> ")
		s.typ()
	}
	s.bound = outer
}

// dynType parses and prints a trait object type after its "D":
// "dyn for<'a> Trait<Assoc = T> + Send + 'a".
func (s *rustState) dynType() {
	s.print("dyn ")
	outer := s.bound
	s.binder()
	for n := 0; !s.failed && !s.eat('E'); n++ {
		if n > 0 {
			s.print(" + ")
		}
		s.dynTrait()
	}
	s.bound = outer
	if !s.eat('L') {
		s.fail()
		return
	}
	if lt := s.integer62(); lt != 0 {
		s.print(" + ")
		s.lifetime(lt)
	}
}

// dynTrait parses and prints a <dyn-trait>: a trait's path, whose generic
// arguments are followed by its associated type bindings: "Fn<(u8,),
// Output = u8>". In Short style neither is printed.
func (s *rustState) dynTrait() {
	open := s.pathMaybeOpenGenerics()
	if s.short && !open {
		s.skip++ // pathMaybeOpenGenerics did not: one way or the other, skip the bindings
	}
	for !s.failed && s.eat('p') {
		if open {
			s.print(", ")
		} else {
			s.printByte('<')
			open = true
		}
		s.printIdent(s.ident())
		s.print(" = ")
		s.typ()
	}
	if open {
		s.printByte('>')
	}
	if s.short {
		s.skip--
	}
}

// pathMaybeOpenGenerics parses and prints the path of a <dyn-trait> and
// reports whether it printed "<" and generic arguments without closing
// them, for the bindings to follow. In Short style that part is skipped,
// and the skip is left for dynTrait to end.
func (s *rustState) pathMaybeOpenGenerics() bool {
	if !s.enter() {
		return false
	}
	open := false
	switch {
	case s.eat('B'):
		if at, ok := s.backref(); ok {
			saved := s.pos
			s.pos = at
			open = s.pathMaybeOpenGenerics()
			s.resume(saved)
		}
	case s.eat('I'):
		s.path(false)
		if s.short {
			s.skip++
		}
		s.printByte('<')
		for n := 0; !s.failed && !s.eat('E'); n++ {
			if n > 0 {
				s.print(", ")
			}
			s.genericArg()
		}
		open = true
	default:
		s.path(false)
	}
	s.leave()
	return open
}
