package demangle

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
)

// rustName is a Rust symbol name and its Full text.
type rustName struct{ mangled, full string }

// rustNames returns the names of testdata/rust/names.txt with their Full
// text, rustc-demangle's.
func rustNames(tb testing.TB) []rustName {
	data, err := os.ReadFile("testdata/rust/names.txt")
	if err != nil {
		tb.Fatal(err)
	}
	var names []rustName
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		mangled, full, ok := strings.Cut(line, "\t")
		if !ok {
			tb.Fatalf("names.txt: no tab in %q", line)
		}
		names = append(names, rustName{mangled, full})
	}
	return names
}

// rustText demangles name in style st, checking that dst is only appended
// to, and returns the text and whether it demangled.
func rustText(t testing.TB, name string, st Style) (string, bool) {
	t.Helper()
	dst := append(make([]byte, 0, 64), "prefix:"...)
	got, ok := AppendRust(dst, name, st)
	text, found := bytes.CutPrefix(got, []byte("prefix:"))
	switch {
	case !found:
		t.Errorf("%v %q: dst prefix lost: %q", st, name, got)
	case !ok && len(text) > 0:
		t.Errorf("%v %q: not demangled, but dst changed to %q", st, name, got)
	}
	return string(text), ok
}

func TestRustNames(t *testing.T) {
	names := rustNames(t)
	if len(names) < 900 {
		t.Fatalf("only %d names in testdata/rust/names.txt", len(names))
	}
	for _, n := range names {
		if got, ok := rustText(t, n.mangled, Full); !ok || got != n.full {
			t.Errorf("%q:\n got %q (%v)\nwant %q", n.mangled, got, ok, n.full)
		}
		if short, ok := rustText(t, n.mangled, Short); !ok || len(short) > len(n.full) {
			t.Errorf("%q: Short %q (%v), longer than Full or failed", n.mangled, short, ok)
		}
	}
}

// rustConstructs are names showing each construct of the manglings, with
// their Full text (rustc-demangle's, "{:#}") and Short text.
var rustConstructs = []struct{ name, full, short string }{
	// Legacy: escapes, the leading "_" of a part starting with one, the
	// hash and a suffix dropped; in Short, generic arguments but not
	// qualified paths go.
	{"_ZN3std3sys9backtrace28__rust_begin_short_backtrace17h9ce328fb477b4d13E", "std::sys::backtrace::__rust_begin_short_backtrace", "std::sys::backtrace::__rust_begin_short_backtrace"},
	{"_ZN70_$LT$alloc..vec..Vec$LT$T$C$A$GT$$u20$as$u20$core..ops..drop..Drop$GT$4drop17hb3bb06be1c53cadbE",
		"<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop", "<alloc::vec::Vec as core::ops::drop::Drop>::drop"},
	{"_ZN4core3ptr65drop_in_place$LT$alloc..boxed..Box$LT$dyn$u20$prog..Shape$GT$$GT$17h55e53f6a030dc430E.llvm.8698886578248679621",
		"core::ptr::drop_in_place<alloc::boxed::Box<dyn prog::Shape>>", "core::ptr::drop_in_place"},
	{"_ZN4core5array69_$LT$impl$u20$core..fmt..Debug$u20$for$u20$$u5b$T$u3b$$u20$N$u5d$$GT$3fmt17h7fb48dc7b1c303f1E",
		"core::array::<impl core::fmt::Debug for [T; N]>::fmt", "core::array::<impl core::fmt::Debug for [T; N]>::fmt"},
	{"_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h612b7d111904d179E.llvm.8698886578248679621", "std::rt::lang_start::{{closure}}", "std::rt::lang_start::{{closure}}"},
	{"_ZN4core3ops8function6FnOnce40call_once$u7b$$u7b$vtable.shim$u7d$$u7d$17h4cef21b4589d8c0aE",
		"core::ops::function::FnOnce::call_once{{vtable.shim}}", "core::ops::function::FnOnce::call_once{{vtable.shim}}"},
	// Non-ASCII characters, which c++filt leaves escaped.
	{"_ZN4prog17_$ufc$berraschung22Gr$uf6$$udf$e$LT$T$GT$14gr$uf6$$udf$er17h485ac3a9f70e3d2eE", "prog::überraschung::Größe<T>::größer", "prog::überraschung::Größe::größer"},
	// "->" is ".>" in legacy names; unknown or unterminated escapes, and
	// control characters, end the decoding of their part.
	{"_ZN4core3ptr50drop_in_place$LT$fn$LP$u8$RP$$u20$.$GT$$u20$u8$GT$17h0123456789abcdefE", "core::ptr::drop_in_place<fn(u8) .> u8>", "core::ptr::drop_in_place"},
	{"_ZN1a8b$XX$c.d17h0123456789abcdefE", "a::b$XX$c.d", "a::b$XX$c.d"},
	{"_ZN1a5b$LTc17h0123456789abcdefE", "a::b$LTc", "a::b$LTc"},
	{"_ZN1a7b$u1f$c17h0123456789abcdefE", "a::b$u1f$c", "a::b$u1f$c"},
	{"_ZN1a9b$u1f600$17h0123456789abcdefE", "a::b😀", "a::b😀"},

	// v0 paths: crate roots (their disambiguators not printed), nested
	// names, inherent and trait impls, trait items, the instantiating
	// crate and a suffix, which are not printed.
	{"_RNvC4prog4main", "prog::main", "prog::main"},
	{"_RNvCs1234_4prog4main.llvm.123", "prog::main", "prog::main"},
	{"_RNvCs1234_4prog4mainC4core", "prog::main", "prog::main"},
	{"_RNvMC4progINtB2_3BoxhE3new", "<prog::Box<u8>>::new", "<prog::Box>::new"},
	{"_RNvXCs1234_4progNtB2_6CircleNtB2_5Shape4area", "<prog::Circle as prog::Shape>::area", "<prog::Circle as prog::Shape>::area"},
	{"_RNvYNtCs1234_4prog6CircleNtB4_5Shape4area", "<prog::Circle as prog::Shape>::area", "<prog::Circle as prog::Shape>::area"},
	{"_RNvYAhj3_NtC4prog5Shape4area", "<[u8; 3] as prog::Shape>::area", "<[u8; 3] as prog::Shape>::area"},
	// Closures, shims and other special namespaces; an empty name in the
	// others prints nothing.
	{"_RNCNCNvC4prog4mains0_0s_0", "prog::main::{closure#2}::{closure#1}", "prog::main::{closure#2}::{closure#1}"},
	{"_RNSNvYNCNvCs56HGsqMBDvY_4prog4mains2_0INtNtNtCsgEmfK2I1SDS_4core3ops8function6FnOnceuE9call_once6vtableB8_",
		"<prog::main::{closure#4} as core::ops::function::FnOnce<()>>::call_once::{shim:vtable#0}",
		"<prog::main::{closure#4} as core::ops::function::FnOnce>::call_once::{shim:vtable#0}"},
	{"_RNXNvC4prog4mains_4name", "prog::main::{X:name#1}", "prog::main::{X:name#1}"},
	{"_RNvC4prog0", "prog", "prog"},
	// Punycode identifiers; one that does not decode prints as
	// rustc-demangle prints it.
	{"_RNvNtCs56HGsqMBDvY_4progu15berraschung_shbu9gre_6ka8l", "prog::überraschung::grüße", "prog::überraschung::grüße"},
	{"_RNvC4progu6wgv71a", "prog::日本", "prog::日本"},
	{"_RNvC4progu5gre_9", "prog::punycode{gre-9}", "prog::punycode{gre-9}"},
	// Types.
	{"_RINvC4prog1fezvpE", "prog::f::<str, !, ..., _>", "prog::f"},
	{"_RINvC4prog1fShTEThEThtEE", "prog::f::<[u8], (), (u8,), (u8, u16)>", "prog::f"},
	{"_RINvC4prog1fPhOhRhQhRL_hE", "prog::f::<*const u8, *mut u8, &u8, &mut u8, &u8>", "prog::f"},
	{"_RINvC4prog1fINtC4prog3BoxhEE", "prog::f::<prog::Box<u8>>", "prog::f"},
	{"_RINvC4prog1fFEuFhEhFUKCEuFK8C_unwindEuE", `prog::f::<fn(), fn(u8) -> u8, unsafe extern "C" fn(), extern "C-unwind" fn()>`, "prog::f"},
	{"_RINvC4prog1fFG0_RL1_hRL0_hEuE", "prog::f::<for<'a, 'b> fn(&'a u8, &'b u8)>", "prog::f"},
	{"_RINvC4prog1fFGp_RL0_hEuE", "prog::f::<for<'a, 'b, 'c, 'd, 'e, 'f, 'g, 'h, 'i, 'j, 'k, 'l, 'm, 'n, 'o, 'p, 'q, 'r, 's, 't, 'u, 'v, 'w, 'x, 'y, 'z, '_26> fn(&'_26 u8)>", "prog::f"},
	{"_RINvC4prog1fDNtC4prog5ShapeNtNtC4core6marker4SendEL_E", "prog::f::<dyn prog::Shape + core::marker::Send>", "prog::f"},
	{"_RNvYDG_INtNtNtC4core3ops8function2FnTRL0_eEEp6OutputjEL_NtC4prog5Shape4area",
		"<dyn for<'a> core::ops::function::Fn<(&'a str,), Output = usize> as prog::Shape>::area",
		"<dyn for<'a> core::ops::function::Fn as prog::Shape>::area"},
	// Backrefs to a type and to a constant.
	{"_RINvC4prog1fThEBa_E", "prog::f::<(u8,), (u8,)>", "prog::f"},
	{"_RINvC4prog1fKj3_KBb_E", "prog::f::<3, 3>", "prog::f"},
	// Constants: integers, negative and beyond 64 bits (c++filt misprints
	// those), bool, char (escaped as Rust escapes them), placeholders.
	{"_RINvCs56HGsqMBDvY_4prog6signedKxn2a_EB2_", "prog::signed::<-42>", "prog::signed"},
	{"_RINvC4prog4wideKoffffffffffffffffffffffffffffffff_Knn80000000000000000000000000000000_Ko_E",
		"prog::wide::<0xffffffffffffffffffffffffffffffff, -0x80000000000000000000000000000000, 0>", "prog::wide"},
	{"_RINvC4prog4flagKb1_Kb0_KpE", "prog::flag::<true, false, _>", "prog::flag"},
	{"_RINvC4prog6letterKc78_Kcdf_Kc27_Kc22_Kc20_Kc0_Kca_Kc7f_Kc301_Kc5c_E",
		`prog::letter::<'x', 'ß', '\'', '"', ' ', '\0', '\n', '\u{7f}', '\u{301}', '\\'>`, "prog::letter"},
	{"_RINvC4prog3arrAhj3_E", "prog::arr::<[u8; 3]>", "prog::arr"},
	// Constants of str, reference, array, tuple and struct types, which
	// c++filt does not read: braced as generic arguments.
	{"_RINvC4prog3strKRe616263_Ke616263_KRe0a27225c09_KRec3a9e282ac_E", `prog::str::<"abc", {*"abc"}, "\n'\"\\\t", "é€">`, "prog::str"},
	{"_RINvC4prog3arrKRAh1_h2_EKTh1_EKTh1_b1_EKTEKQh1_E", "prog::arr::<{&[1, 2]}, {(1,)}, {(1, true)}, {()}, {&mut 1}>", "prog::arr"},
	{"_RINvC4prog3valKVNtC4prog5PointS1xh1_1yh2_EKVNtC4prog3NewTh1_EKVNtC4prog4UnitUKVNtC4prog5EmptySEE",
		"prog::val::<{prog::Point { x: 1, y: 2 }}, {prog::New(1)}, {prog::Unit}, {prog::Empty {  }}>", "prog::val"},
	{"_RINvC4prog3valKAVNtC4prog3NewTh1_EEE", "prog::val::<{[prog::New(1)]}>", "prog::val"},
}

func TestRustConstructs(t *testing.T) {
	for _, c := range rustConstructs {
		for st, want := range map[Style]string{Full: c.full, Short: c.short} {
			if got, ok := rustText(t, c.name, st); !ok || got != want {
				t.Errorf("%v %q:\n got %q (%v)\nwant %q", st, c.name, got, ok, want)
			}
		}
	}
}

// TestRustNotRust checks the names AppendRust leaves to others: C++ names,
// which may look like legacy Rust ones but for their hash, and malformed
// v0 names.
func TestRustNotRust(t *testing.T) {
	for _, name := range []string{
		"", "_Z", "_ZN", "_R", "main", "_Z1fv", "_ZN3foo3barEv", "_ZN3foo3barE.cold",
		"_ZN4prog5flame7Counter4bump17h0123456789abcdeE",     // 15 hex digits
		"_ZN4prog5flame7Counter4bump17h0123456789abcdegE",    // not hex
		"_ZN4prog5flame7Counter4bump17h0123456789ABCDEFE",    // not lowercase
		"_ZN3foo3bar17h0000000000000000E",                    // fewer than 5 different digits
		"_ZN3foo17h0123456789abcdef3barE",                    // the hash is not last
		"_ZN17h0123456789abcdefE",                            // nothing but the hash
		"_ZN3foo0bar17h0123456789abcdefE",                    // an empty part
		"_ZN3foo3a:b17h0123456789abcdefE",                    // a character c++filt rejects
		"_ZN3foo4bar17h0123456789abcdefE",                    // a part overrunning the hash
		"_ZN3foo3bar17h0123456789abcdefE.llvm.12E.x",         // a suffix with "E."
		"_ZN3foo99999999999999999999bar17h0123456789abcdefE", // a huge length
		"_R0NvC4prog4main",                                   // an encoding version
		"_RNvC4prog4main$x",                                  // a "$" suffix
		"_RNvC4prog4m$in",                                    // a character rustc does not write
		"_RNvC1a", "_RC", "_Rx",                              // truncated, or not a path
		"_RNvC1a1bE",        // more after the path
		"_RB_", "_RNvB2_1a", // backrefs to themselves, forward
		"_RINvC1a1fKb2_E",                 // a bool that is 2
		"_RINvC1a1fKcd800_E",              // a surrogate char
		"_RINvC1a1fKc110000_E",            // beyond Unicode
		"_RINvC1a1fKRe6_E",                // an odd number of hex digits in a str
		"_RINvC1a1fKRec3_E",               // a str that is not UTF-8
		"_RINvC1a1fKxg_E",                 // not hex
		"_RINvC1a1fKzE",                   // a type constants do not have
		"_RINvC1a1fKVNtC1a1bXE",           // a struct with neither fields nor none
		"_RNvC4progu4gre_",                // Punycode without insertions
		"_RNvCszzzzzzzzzzzzzzzzzzzz_1a1b", // a number beyond 64 bits
		"_RINvC1a1fFK0_EuE",               // an empty ABI
		"_RINvC1a1fDNtC1a1bE",             // a trait object without its lifetime
	} {
		for _, st := range styles {
			if got, ok := rustText(t, name, st); ok {
				t.Errorf("%v %q: demangled to %q, want it left alone", st, name, got)
			}
		}
	}
	// Lifetimes no binder binds. Short style does not print generic
	// arguments, and like rustc-demangle, which does not check what it
	// does not print, it takes these.
	for _, name := range []string{"_RINvC1a1fLL_E", "_RINvC4prog1fDG_NtC4prog5ShapeEL1_E"} {
		if got, ok := rustText(t, name, Full); ok {
			t.Errorf("%q: demangled to %q, want it left alone", name, got)
		}
		if got, ok := rustText(t, name, Short); !ok {
			t.Errorf("Short %q: got %q, not demangled", name, got)
		}
	}
}

// rustHostile returns names that try to make the demangler recurse, loop
// or print without bound, with whether their Full and Short texts fit in
// the limits.
func rustHostile() []struct {
	name        string
	full, short bool
} {
	return []struct {
		name        string
		full, short bool
	}{
		{"_R" + strings.Repeat("Nv", 15000) + "C1a" + strings.Repeat("1a", 15000), false, false},
		{"_RINvC1a1f" + strings.Repeat("T", 20000) + strings.Repeat("E", 20000) + "E", false, false},
		{doublingRust(40, false), false, true},
		{doublingRust(40, true), false, false},
		{"_RINvC1a1fFGzzzzzzzzzz_EuE", false, true},
		{"_RINvC1a1fKj" + strings.Repeat("f", 60000) + "_E", true, true},
		{"_ZN" + strings.Repeat("1a", 30000) + "17h0123456789abcdefE", true, true},
		{"_RNvC1au" + "9999_" + strings.Repeat("z", 9999), true, true},
		{"_RNvC1a1b" + strings.Repeat(".", 60000), true, true},
	}
}

// doublingRust returns a v0 name with n+1 tuple types, each but the first
// a pair of backrefs to the one before: the text doubles with each. As
// generic arguments (inImpl false), Short style does not print them; as
// the tuple that is an impl's type, it does.
func doublingRust(n int, inImpl bool) string {
	name := "INvC1a1f" // a::f::<(u8, u8), ((u8, u8), (u8, u8)), ...>
	if inImpl {
		name = "NvMC1aT" // <((u8, u8), ((u8, u8), (u8, u8)), ...)>::f
	}
	at := len(name)
	name += "ThhE"
	for range n {
		next := len(name)
		name += "T" + "B" + base62Number(at) + "B" + base62Number(at) + "E"
		at = next
	}
	name += "E"
	if inImpl {
		name += "1f"
	}
	return "_R" + name
}

// base62Number returns the <base-62-number> of v: "_" for 0, and v-1 in
// base 62 then "_" for the others.
func base62Number(v int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	if v == 0 {
		return "_"
	}
	v--
	s := ""
	for {
		s = string(digits[v%62]) + s
		v /= 62
		if v == 0 {
			return s + "_"
		}
	}
}

func TestRustHostile(t *testing.T) {
	for _, h := range rustHostile() {
		for st, want := range map[Style]bool{Full: h.full, Short: h.short} {
			got, ok := rustText(t, h.name, st)
			if ok != want {
				t.Errorf("%v %.60q...: demangled %v, want %v", st, h.name, ok, want)
			}
			if len(got) > maxRustText {
				t.Errorf("%v %.60q...: %d bytes of text", st, h.name, len(got))
			}
		}
	}
}

// TestRustDoubling checks the doubling names: with a few levels they
// demangle, each level doubling the text.
func TestRustDoubling(t *testing.T) {
	for _, inImpl := range []bool{false, true} {
		small, ok := rustText(t, doublingRust(3, inImpl), Full)
		if !ok || strings.Count(small, "u8") != 2+2*(2+4+8) {
			t.Errorf("doublingRust(3, %v) = %q (%v)", inImpl, small, ok)
		}
	}
}

func TestRustAllocations(t *testing.T) {
	names := rustNames(t)
	dst := make([]byte, 0, 1<<16)
	allocs := testing.AllocsPerRun(10, func() {
		for _, n := range names {
			for _, st := range styles {
				AppendRust(dst, n.mangled, st)
			}
		}
	})
	if perName := allocs / float64(2*len(names)); perName > 0.01 {
		t.Errorf("%.3f allocations per name, want none", perName)
	}
}
