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

func TestRustLegacy(t *testing.T) {
	for name, want := range map[string]bool{
		"_ZN4prog5flame7Counter4bump17h0123456789abcdefE":             true,
		"_ZN4prog5flame7Counter4bump17h0123456789abcdefE.llvm.123456": true,
		"_ZN4prog5flame7Counter4bump17h0123456789abcdeE":              false, // 15 digits
		"_ZN4prog5flame7Counter4bump17h0123456789abcdegE":             false, // not hex
		"_ZN3foo3barEv":     false,
		"_ZN3foo3barE.cold": false,
	} {
		if got := rustLegacy(name); got != want {
			t.Errorf("rustLegacy(%q) = %v, want %v", name, got, want)
		}
	}
}
