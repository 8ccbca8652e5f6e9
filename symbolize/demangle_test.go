package symbolize

import (
	"debug/elf"
	"strings"
	"testing"
)

func TestDemangleName(t *testing.T) {
	for _, c := range []struct {
		in   string
		mode demangleMode
		want string
	}{
		{"_ZN5flame3BoxIlE5twiceEi", demangleFull, "flame::Box<long>::twice(int)"},
		{"_ZN5flame3BoxIlE5twiceEi", demangleShort, "flame::Box::twice"},
		{"_ZN5flame3BoxIlE5twiceEi", demangleNone, "_ZN5flame3BoxIlE5twiceEi"},
		{"_ZN5flame3sumERKSt6vectorIiSaIiEE.cold", demangleShort, "flame::sum"},
		{"_Znwm@plt", demangleFull, "operator new(unsigned long)@plt"},
		{"main", demangleFull, "main"},
		{"_Z", demangleFull, "_Z"},
		{"_ZN3foo3barE17h0123456789abcdefE", demangleFull, "_ZN3foo3barE17h0123456789abcdefE"},
		{"_ZN4prog5flame7Counter4bump17h0123456789abcdefE", demangleFull, "prog::flame::Counter::bump"},
		{"_RNvMNtCs1234_4prog5flameNtB2_7Counter4bump", demangleShort, "<prog::flame::Counter>::bump"},
		{"_RNvMNtCs1234_4prog5flameNtB2_7Counter4bump", demangleFull, "<prog::flame::Counter>::bump"},
		{"_RNvMNtCs1234_4prog5flameNtB2_7Counter4bump@plt", demangleFull, "<prog::flame::Counter>::bump@plt"},
		// Rust names that github.com/ianlancetaylor/demangle, which demangled
		// them before, gets wrong. The legacy part after the length is
		// "__rust_begin_short_backtrace", not "_" and "_rust...".
		{"_ZN3std3sys9backtrace28__rust_begin_short_backtrace17h9ce328fb477b4d13E", demangleFull, "std::sys::backtrace::__rust_begin_short_backtrace"},
		{"_ZN3std3sys9backtrace28__rust_begin_short_backtrace17h9ce328fb477b4d13E", demangleShort, "std::sys::backtrace::__rust_begin_short_backtrace"},
		// A tuple struct's constructor (namespace "c"): no "::" after "Ok".
		{"_RINvMs1_Csife2kuN9Z4V_11rustc_arenaINtB6_10TypedArenaNtNtCsfqPBR87PSkx_9rustc_hir3hir9AttributeE19try_alloc_from_iterzINtNtNtNtCsgEmfK2I1SDS_4core4iter8adapters3map3MapINtNtNtCslNYArtu3iFV_5alloc3vec9into_iter8IntoIterBP_ENcNtINtNtB21_6result6ResultBP_zE2Ok0EECsdqyVfVchmWC_18rustc_ast_lowering", demangleFull,
			"<rustc_arena::TypedArena<rustc_hir::hir::Attribute>>::try_alloc_from_iter::<!, core::iter::adapters::map::Map<alloc::vec::into_iter::IntoIter<rustc_hir::hir::Attribute>, core::result::Result<rustc_hir::hir::Attribute, !>::Ok>>"},
		// "()" as a generic argument.
		{"_RNCINvNtNtCsjrHSEGnQ3l9_3std6thread7current17with_current_nameNCNCNvNtB8_9panicking12default_hook00uE0B8_", demangleFull, "std::thread::current::with_current_name::<std::panicking::default_hook::{closure#0}::{closure#0}, ()>::{closure#0}"},
		{"_RNCINvNtNtCsjrHSEGnQ3l9_3std6thread7current17with_current_nameNCNCNvNtB8_9panicking12default_hook00uE0B8_", demangleShort, "std::thread::current::with_current_name::{closure#0}"},
		// Nested closures, innermost last, with their disambiguators.
		{"_RNCINvMs1_NtNtCsdadwybgsbvk_12rustc_middle3hir3mapNtNtNtBc_2ty7context6TyCtxt23par_hir_for_each_moduleNCNCNCNCNvNtCshb4CxotJIr4_15rustc_interface6passes8analysis00s_00E0B1O_", demangleFull, "<rustc_middle::ty::context::TyCtxt>::par_hir_for_each_module::<rustc_interface::passes::analysis::{closure#0}::{closure#0}::{closure#1}::{closure#0}>::{closure#0}"},
		// 128-bit constants, which c++filt misprints too.
		{"_RNvXs8Z_NtNtCshg5UprtI8ZK_4jiff4util8rangeintINtB6_5ri128Knn80000000000000000000000000000000_Kn7fffffffffffffffffffffffffffffff_ENtNtCsgEmfK2I1SDS_4core3fmt7Display3fmtBa_", demangleFull, "<jiff::util::rangeint::ri128<-0x80000000000000000000000000000000, 0x7fffffffffffffffffffffffffffffff> as core::fmt::Display>::fmt"},
		{"_RNvXs8Z_NtNtCshg5UprtI8ZK_4jiff4util8rangeintINtB6_5ri128Knn80000000000000000000000000000000_Kn7fffffffffffffffffffffffffffffff_ENtNtCsgEmfK2I1SDS_4core3fmt7Display3fmtBa_", demangleShort, "<jiff::util::rangeint::ri128 as core::fmt::Display>::fmt"},
		// A malformed v0 name stays as it is; a C++ name that ends like a
		// legacy Rust one, but whose hash is not one, is C++.
		{"_RNvB_4main", demangleFull, "_RNvB_4main"},
		{"_ZN3foo3bar17h0000000000000000E", demangleFull, "foo::bar::h0000000000000000"},
	} {
		if got := demangleName(c.in, c.mode); got != c.want {
			t.Errorf("demangleName(%q, %d) = %q, want %q", c.in, c.mode, got, c.want)
		}
	}
}

// TestNativeCxx checks that C++ functions of a real binary come back mangled
// from lookup and demangle in full and short forms.
func TestNativeCxx(t *testing.T) {
	dir := t.TempDir()
	bin := ntBuild(t, dir, "g++", "prog.cc", "cxx", "-O2", "-g")
	tab := ntOpen(t, bin, nativeOptions{})
	ntCheckAllFuncs(t, bin, tab)
	want := map[string][2]string{
		"_ZNK5flame3BoxIlE5twiceEi":         {"flame::Box<long>::twice(int) const", "flame::Box::twice"},
		"_ZN5flame3sumERKSt6vectorIiSaIiEE": {"flame::sum(std::vector<int, std::allocator<int> > const&)", "flame::sum"},
	}
	for raw, w := range want {
		addr, _ := ntSym(t, bin, raw)
		fr, ok := tab.lookup(addr, true, nil)
		if !ok || fr[len(fr)-1].Function != raw {
			t.Fatalf("%s: got %+v", raw, fr)
		}
		if got := demangleName(raw, demangleFull); got != w[0] {
			t.Errorf("full: %q, want %q", got, w[0])
		}
		if got := demangleName(raw, demangleShort); got != w[1] {
			t.Errorf("short: %q, want %q", got, w[1])
		}
	}
}

// TestNativeRust checks Rust names with legacy and v0 mangling: the
// function is found and demangles without its hash or disambiguator.
func TestNativeRust(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"legacy", "v0"} {
		t.Run(v, func(t *testing.T) {
			out := "rs_" + v
			args := []string{"-O", "-g", "-o", out, ntSource(t, "prog.rs")}
			if v == "v0" { // legacy is rustc's default
				args = append(args, "-C", "symbol-mangling-version=v0")
			}
			ntRun(t, dir, "rustc", args...)
			bin := dir + "/" + out
			tab := ntOpen(t, bin, nativeOptions{})
			ef, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer ef.Close()
			syms, _ := ef.Symbols()
			n := 0
			for _, s := range syms {
				if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Size == 0 {
					continue
				}
				d := demangleName(s.Name, demangleShort)
				if !strings.HasSuffix(d, "flame::Counter>::bump") && !strings.HasSuffix(d, "flame::Counter::bump") {
					continue
				}
				n++
				if got := ntName(tab, s.Value+s.Size/2); got != s.Name {
					t.Errorf("%s: got %q", s.Name, got)
				}
				if full := demangleName(s.Name, demangleFull); strings.Contains(full, "17h") || strings.HasPrefix(full, "_") {
					t.Errorf("%s demangles to %q", s.Name, full)
				}
			}
			if n != 1 {
				t.Errorf("found %d Counter::bump functions, want 1", n)
			}
		})
	}
}
