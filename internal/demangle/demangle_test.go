package demangle

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ianlancetaylor/demangle"

	"github.com/flamekit/flamekit/internal/testenv"
)

var styles = []Style{Full, Short}

// library demangles name as AppendItanium promises to, with the library:
// as C++ even when it looks like a legacy Rust name, which AppendRust
// demangles.
func library(name string, st Style) (string, error) {
	if st == Short {
		return demangle.ToString(name, demangle.NoParams, demangle.NoTemplateParams, demangle.NoClones, demangle.NoRust)
	}
	return demangle.ToString(name, demangle.NoRust)
}

// rustLibrary demangles the Rust name as symbolize did before AppendRust,
// with the library.
func rustLibrary(name string, st Style) (string, error) {
	if st == Short {
		return demangle.ToString(name, demangle.NoParams, demangle.NoTemplateParams, demangle.NoClones)
	}
	return demangle.ToString(name)
}

// check demangles name in style st, checks the result against the library
// and that dst is only appended to, and reports whether it was handled.
func check(t testing.TB, name string, st Style) bool {
	t.Helper()
	dst := append(make([]byte, 0, 64), "prefix:"...)
	got, ok := AppendItanium(dst, name, st)
	if !ok {
		if string(got) != "prefix:" {
			t.Errorf("%v %q: not handled, but dst changed to %q", st, name, got)
		}
		return false
	}
	text, found := bytes.CutPrefix(got, []byte("prefix:"))
	want, err := library(name, st)
	switch {
	case !found:
		t.Errorf("%v %q: dst prefix lost: %q", st, name, got)
	case err != nil:
		t.Errorf("%v %q: got %q, the library fails: %v", st, name, text, err)
	case string(text) != want:
		t.Errorf("%v %q:\n got %q\nwant %q", st, name, text, want)
	}
	return true
}

// coverage checks every name in both styles and returns the fraction
// handled in each.
func coverage(t *testing.T, names []string) map[Style]float64 {
	handled := map[Style]int{}
	for _, name := range names {
		for _, st := range styles {
			if check(t, name, st) {
				handled[st]++
			}
		}
	}
	frac := map[Style]float64{}
	for _, st := range styles {
		frac[st] = float64(handled[st]) / float64(len(names))
		t.Logf("%v: %d of %d names handled (%.2f%%)", st, handled[st], len(names), 100*frac[st])
	}
	return frac
}

// corpus returns the names of testdata/names.txt.
func corpus(tb testing.TB) []string {
	data, err := os.ReadFile("testdata/names.txt")
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := sc.Text(); line != "" && line[0] != '#' {
			names = append(names, line)
		}
	}
	return names
}

// The corpus is chosen for variety, so it holds more of the constructs
// left to the library than real programs do.
var corpusCoverage = map[Style]float64{Full: 0.97, Short: 0.99}

func TestCorpus(t *testing.T) {
	names := corpus(t)
	if len(names) < 1000 {
		t.Fatalf("only %d names in the corpus", len(names))
	}
	for st, frac := range coverage(t, names) {
		if frac < corpusCoverage[st] {
			t.Errorf("%v: %.2f%% of the corpus handled, want at least %.0f%%", st, 100*frac, 100*corpusCoverage[st])
		}
	}
}

const nodePath = "/usr/bin/node"

var nodeOnce struct {
	sync.Once
	names []string
	err   error
}

// nodeNames returns the distinct names of the functions defined in node
// that start with _Z. It skips the test when node is not installed, unless
// the CI environment variable is set, for CI installs it.
func nodeNames(tb testing.TB) []string {
	nodeOnce.Do(func() { nodeOnce.names, nodeOnce.err = readFunctionNames(nodePath, (*elf.File).Symbols) })
	if err := nodeOnce.err; err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			testenv.SkipOrFail(tb, "%s is absent (apt-get install nodejs)", nodePath)
		}
		tb.Fatal(err)
	}
	return nodeOnce.names
}

// readFunctionNames returns the sorted distinct names starting with _Z of
// the functions that the ELF file at path defines in the symbol table
// symbols reads.
func readFunctionNames(path string, symbols func(*elf.File) ([]elf.Symbol, error)) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	syms, err := symbols(f)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF && strings.HasPrefix(s.Name, "_Z") {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func TestNode(t *testing.T) {
	names := nodeNames(t)
	for st, frac := range coverage(t, names) {
		if frac < 0.97 {
			t.Errorf("%v: %.2f%% of node's names handled, want at least 97%%", st, 100*frac)
		}
	}
}

func TestLibstdcxx(t *testing.T) {
	const path = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
	testenv.RequireFile(t, path, "apt-get install libstdc++6")
	names, err := readFunctionNames(path, (*elf.File).DynamicSymbols)
	if err != nil {
		t.Fatal(err)
	}
	for st, frac := range coverage(t, names) {
		if frac < 0.97 {
			t.Errorf("%v: %.2f%% of libstdc++'s names handled, want at least 97%%", st, 100*frac)
		}
	}
}

// constructs are names showing what AppendItanium handles, with their
// Full text.
var constructs = []struct{ name, full string }{
	{"_ZN2v88internal4Heap7CollectEv", "v8::internal::Heap::Collect()"},
	{"_ZNK1A1fEv", "A::f() const"},
	{"_ZNVKO1A1fEv", "A::f() const volatile &&"},
	{"_ZN1AC2Ev", "A::A()"},
	{"_ZN1AD0Ev", "A::~A()"},
	{"_ZNSsC1Ev", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string()"},
	{"_ZNSs4_Rep10_M_destroyERKSaIcE", "std::string::_Rep::_M_destroy(std::allocator<char> const&)"},
	{"_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back(int const&)"},
	{"_ZN1AltIiEEvv", "void A::operator< <int>()"},
	{"_ZN1AcviEv", "A::operator int()"},
	{"_ZN1Ali3_kmEv", `A::operator"" _km()`},
	{"_Znwm", "operator new(unsigned long)"},
	{"_ZN12_GLOBAL__N_11fEv", "(anonymous namespace)::f()"},
	{"_ZN1A1fB5cxx11Ev", "A::f[abi:cxx11]()"},
	{"_ZL10createPathPKci", "createPath(char const*, int)"},
	{"_ZStL19piecewise_construct", "std::piecewise_construct"},
	{"_Z1fIiEvT_", "void f<int>(int)"},
	{"_ZN1AIiE1fIcEEvT_", "void A<int>::f<char>(char)"},
	{"_Z1fIRiEvOT_", "void f<int&>(int&)"},
	{"_Z1fIJicEEvDpPT_", "void f<int, char>(int*, char*)"},
	{"_Z1fIJEEviDpT_i", "void f<>(int, int)"},
	{"_Z1fILb1ELin5ELm32ELN1A1BE3EEvv", "void f<true, -5, 32ul, (A::B)3>()"},
	{"_Z1fIXadL_Z1gvEEEvv", "void f<&g>()"},
	{"_Z1fIL_Z1gvEEvv", "void f<g()>()"},
	{"_Z1fPFviEPKFviERFvvE", "f(void (*)(int), void (*)(int) const, void (&)())"},
	{"_Z1fKPFviEPPFvvE", "f(void (* const)(int), void (**)())"},
	{"_Z1fPA10_iRA10_A20_c", "f(int (*) [10], char (&) [10][20])"},
	{"_Z1fM1AFviEM1AKFvvEM1Ai", "f(void (A::*)(int), void (A::*)() const, int A::*)"},
	{"_Z1fIFviEEvv", "void f<void (int)>()"},
	{"_Z1fPDoFvvE", "f(void (*)() noexcept)"},
	{"_ZZN1A1fEvE1x", "A::f()::x"},
	{"_ZZN1A1fIiEEvvENKUlvE_clEv", "A::f<int>()::{lambda()#1}::operator()() const"},
	{"_ZZ1fvEN1B1gE_0v", "f()::B::g()"},
	{"_ZZ1fvEs", "f()::string literal"},
	{"_ZN1AUt0_1fEv", "A::{unnamed type#2}::f()"},
	{"_ZThn8_N1A1fEv", "non-virtual thunk to A::f()"},
	{"_ZTv0_n24_N1AD1Ev", "virtual thunk to A::~A()"},
	{"_ZGTtNKSt11logic_error4whatEv", "transaction clone for std::logic_error::what() const"},
	{"_ZTV1A", "vtable for A"},
	{"_ZN1A1fEv.isra.0.cold", "A::f() [clone .isra.0] [clone .cold]"},
	{"_ZN1A1fEv.constprop.0.lto_priv.0", "A::f() [clone .constprop.0] [clone .lto_priv.0]"},
	// Shaped like a legacy Rust name, which AppendRust takes first.
	{"_ZN1a17h0123456789abcdefE", "a::h0123456789abcdef"},
}

func TestConstructs(t *testing.T) {
	for _, c := range constructs {
		if want, err := library(c.name, Full); want != c.full || err != nil {
			t.Errorf("the library prints %q as %q (%v), the test says %q", c.name, want, err, c.full)
		}
		for _, st := range styles {
			if !check(t, c.name, st) {
				t.Errorf("%v %q: not handled", st, c.name)
			}
		}
	}
}

// fallbacks are names of constructs left to the library, some of which the
// library prints in ways that depend on how it shares syntax tree nodes.
var fallbacks = []string{
	"_Z1fRiOS_S0_",            // a reference collapsed once, not at its substitution
	"_Z1fIJicEEvDpPT_S1_",     // a substitution of a pack expansion's pattern
	"_Z1fIiZ1gIcEvT_E1XEvS1_", // a template parameter bound anew at its substitution
	"_Z1fIKiEvVT_",            // qualifiers merged
	"_ZZ1fvENKUlT_E_clIiEEDaS_",
	"_ZN1A1fIiEENSt9enable_ifIXsrT_5valueEvE4typeEv", // an expression
	"_Z1fILf3f800000EEvv",
	"_ZN1AcvT_IiEEv",
	"_Z1fDv4_f",
	"_Z1fIiEDTcl1gfp_EET_",
	"_Z1fPFPFivEiE", // a function returning a function pointer
	"_ZN1A1xE.cold", // a clone of a variable
	"_ZN1A1fEvQ1gIT_E",
}

func TestFallbacks(t *testing.T) {
	for _, name := range fallbacks {
		for _, st := range styles {
			if check(t, name, st) && st == Full {
				t.Errorf("%v %q: handled, want it left to the library", st, name)
			}
		}
	}
}

// hostile are names that try to make a demangler recurse, loop or allocate
// without bound.
func hostile() []string {
	return []string{
		"_Z" + strings.Repeat("P", 100000) + "i",
		"_Z1f" + strings.Repeat("P", 5000) + "i",
		"_Z1f" + strings.Repeat("N1a", 5000) + strings.Repeat("E", 5000),
		"_Z1fI" + strings.Repeat("JJ", 3000) + strings.Repeat("E", 6000) + "Evv",
		"_Z1fI" + strings.Repeat("1AI", 3000) + "i" + strings.Repeat("E", 3001) + "vv",
		"_ZZ" + strings.Repeat("Z", 3000) + "1fvE1x",
		"_Z1f" + strings.Repeat("S_", 100) + "1A",
		doubling(40),
		"_Z1fIiEvT99999999999999999999_",
		"_Z1f99999999999999999999A",
		"_Z1fSZZZZZZZZZZZZZZZZZZZZ_",
		"_Z1fIJicEEvDp" + strings.Repeat("P", 1000) + "T_",
		"_ZN1AIS_EE",
		"_Z1fS_",
		"_Z1fT_",
		"_ZTh" + strings.Repeat("n", 10) + "_N1A1fEv",
		"_Z1f." + strings.Repeat(".a", 10000),
		"_ZZ1fvE1x_99999999999999999999",
	}
}

// doubling returns a name whose demangled text doubles in length with each
// of its n substitutions.
func doubling(n int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	name := "_Z1fI1AIiE" // f is S_, A S0_, A<int> S1_
	for i := 1; i <= n; i++ {
		id := strconv.Itoa(i) // Below 10 the seq-ids are decimal digits.
		if i >= 10 {
			id = string(digits[i/36]) + string(digits[i%36])
		}
		name += "S0_IS" + id + "_S" + id + "_E"
	}
	return name + "Evv"
}

func TestHostile(t *testing.T) {
	for _, name := range hostile() {
		for _, st := range styles {
			start := time.Now()
			_, ok := AppendItanium(nil, name, st)
			if d := time.Since(start); d > time.Second {
				t.Errorf("%v %.40q...: took %v", st, name, d)
			}
			if ok {
				check(t, name, st)
			}
		}
	}
}

func TestNotMangled(t *testing.T) {
	for _, name := range []string{"", "_Z", "_ZN", "main", "_RNvCs1234_4main", "__Z1fv", "_Z1f", "_Z1fv\x00"} {
		for _, st := range styles {
			check(t, name, st)
		}
	}
}

func TestConcurrent(t *testing.T) {
	names := corpus(t)
	want := make([]string, len(names))
	for i, name := range names {
		out, _ := AppendItanium(nil, name, Full)
		want[i] = string(out)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var dst []byte
			for i, name := range names {
				dst, _ = AppendItanium(dst[:0], name, Full)
				if string(dst) != want[i] {
					t.Errorf("%q: got %q, then %q", name, want[i], dst)
				}
			}
		})
	}
	wg.Wait()
}

func TestAllocations(t *testing.T) {
	if testenv.RaceEnabled {
		t.Skip("the race detector makes sync.Pool drop states")
	}
	names := corpus(t)
	dst := make([]byte, 0, 1<<16)
	AppendItanium(dst, names[0], Full) // fill the pool
	allocs := testing.AllocsPerRun(10, func() {
		for _, name := range names {
			for _, st := range styles {
				AppendItanium(dst, name, st)
			}
		}
	})
	if perName := allocs / float64(2*len(names)); perName > 0.01 {
		t.Errorf("%.3f allocations per name, want none", perName)
	}
}
