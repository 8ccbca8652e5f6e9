package demangle

import "strings"

// Limits on the work done for one Rust name. v0 names refer back to earlier
// parts of themselves (backrefs), which are printed by parsing those parts
// again: a hostile name could make its text grow exponentially or nest
// without end, so the nesting, the parsing steps and the text are bounded.
const (
	maxRustDepth = 500     // nesting of paths, types and constants, as rustc-demangle allows
	maxRustSteps = 1 << 18 // paths, types, constants and generic arguments parsed
	maxRustText  = maxText // bytes of demangled text
)

// AppendRust appends the demangled form of the Rust symbol name mangled,
// printed in the given style, to dst and returns the extended slice and
// ok=true. It reads both of rustc's manglings:
//
//   - legacy, rustc's default: an Itanium nested name whose last part is a
//     hash, "_ZN3std2rt10lang_start17h0123456789abcdefE", with "$LT$"-style
//     escapes for the characters of generic types;
//   - v0 (-C symbol-mangling-version=v0, which the standard library of
//     recent toolchains is built with): "_RNvCs1234_4prog4main", following
//     the v0 symbol format of RFC 2603 and the rustc book.
//
// The Full text is that of rustc's own demangler, rustc-demangle, in its
// alternate form ("{:#}", which Rust's backtraces print), and of c++filt
// --no-verbose: without the legacy hash, the crates' disambiguators or the
// types of constants. A suffix after the name (".llvm.1234", ".cold", ".0")
// is dropped, as c++filt drops it. Where c++filt and rustc-demangle differ
// (c++filt misprints 128-bit constants, char constants and the non-ASCII
// characters of legacy names, and does not read constants of str,
// reference, array, tuple or struct type), AppendRust prints what
// rustc-demangle prints.
//
// The Short text leaves out generic arguments as Short leaves out C++
// template arguments: "<alloc::vec::Vec as core::ops::drop::Drop>::drop"
// for "<alloc::vec::Vec<u8> as core::ops::drop::Drop>::drop", and
// "core::ptr::drop_in_place" for "core::ptr::drop_in_place::<u8>". The
// paths of impls, "<T as Trait>", closures ("{closure#0}") and the rest of
// types are kept.
//
// It returns dst unchanged and ok=false for a name that is not a Rust
// symbol (a C++ "_ZN" name without the hash, for one) or is malformed, and
// for one whose demangling would exceed the limits on nesting and size.
// It is safe for concurrent use and allocates nothing but the growth of
// dst.
func AppendRust(dst []byte, mangled string, style Style) ([]byte, bool) {
	if len(mangled) > maxInput {
		return dst, false
	}
	s := rustState{out: dst, start: len(dst), short: style == Short}
	switch {
	case strings.HasPrefix(mangled, "_R"):
		in, ok := v0Body(mangled[2:])
		if !ok {
			return dst, false
		}
		s.in = in
		s.v0Symbol()
	case strings.HasPrefix(mangled, "_ZN"):
		body, ok := legacyBody(mangled[3:])
		if !ok {
			return dst, false
		}
		s.legacy(body)
	default:
		return dst, false
	}
	if s.failed {
		return dst, false
	}
	return s.out, true
}

// rustState demangles one Rust name.
type rustState struct {
	in     string // the mangled name after its prefix, without its suffix
	pos    int    // offset in in of the next byte to read
	short  bool   // Short style: generic arguments are not printed
	failed bool   // the name is malformed or over a limit

	out   []byte // dst, with the text printed so far
	start int    // length of dst before the name

	// skip is positive while a part of the name is parsed without being
	// printed (an impl's own path, a generic argument in Short style).
	// Backrefs are not followed then, and lifetimes are not checked, as
	// rustc-demangle does.
	skip int

	depth, steps int    // nesting and parsing steps, for the limits
	bound        uint64 // lifetimes bound by enclosing binders: for<'a, 'b>
}

// fail marks the name as malformed and stops parsing: every later read
// sees the end of the input.
func (s *rustState) fail() {
	s.failed = true
	s.pos = len(s.in)
}

// enter records one more level of nesting and one more parsing step,
// failing past their limits, and reports whether parsing may go on.
func (s *rustState) enter() bool {
	s.depth++
	s.steps++
	if s.depth > maxRustDepth || s.steps > maxRustSteps {
		s.fail()
	}
	return !s.failed
}

// leave undoes enter's nesting.
func (s *rustState) leave() { s.depth-- }

// print appends text unless printing is skipped, failing when the text
// grows past its limit.
func (s *rustState) print(text string) {
	if s.skip > 0 || s.failed {
		return
	}
	s.out = append(s.out, text...)
	if len(s.out)-s.start > maxRustText {
		s.fail()
	}
}

// printByte appends c unless printing is skipped.
func (s *rustState) printByte(c byte) {
	if s.skip > 0 || s.failed {
		return
	}
	s.out = append(s.out, c)
	if len(s.out)-s.start > maxRustText {
		s.fail()
	}
}

// printing reports whether text is being printed.
func (s *rustState) printing() bool { return s.skip == 0 && !s.failed }

// more reports whether input remains.
func (s *rustState) more() bool { return s.pos < len(s.in) }

// peek returns the next byte, or 0 at the end.
func (s *rustState) peek() byte {
	if s.pos < len(s.in) {
		return s.in[s.pos]
	}
	return 0
}

// next returns the next byte and skips it, failing at the end.
func (s *rustState) next() byte {
	if !s.more() {
		s.fail()
		return 0
	}
	c := s.in[s.pos]
	s.pos++
	return c
}

// eat skips the next byte if it is c and reports whether it was.
func (s *rustState) eat(c byte) bool {
	if s.more() && s.in[s.pos] == c {
		s.pos++
		return true
	}
	return false
}
