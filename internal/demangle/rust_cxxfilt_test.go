package demangle

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/flamekit/flamekit/internal/testenv"
)

// rustBuild is a program TestRustAgainstCxxfilt or TestRustcDriver builds
// from testdata/rust with rustc.
type rustBuild struct {
	out, src string   // the binary, in the test's directory, and its source
	env      string   // an environment variable for rustc: NAME=value
	flags    []string // flags for rustc
}

// The programs built from testdata/rust: the test program with legacy and
// with v0 mangling, and the oracle, rustc-demangle. Legacy is rustc's
// default.
var (
	rustLegacyBuild = rustBuild{out: "legacy", src: "prog.rs", flags: []string{"-C", "opt-level=1"}}
	rustV0Build     = rustBuild{out: "v0", src: "prog.rs", flags: []string{"-C", "opt-level=1", "-C", "symbol-mangling-version=v0"}}
	rustOracleBuild = rustBuild{out: "oracle", src: "oracle.rs", env: "RUSTC_BOOTSTRAP=1", flags: []string{"-C", "opt-level=1"}}
)

// buildRust builds the programs, in parallel, in a temporary directory of
// t's, and returns their paths. It skips or fails t without rustc.
func buildRust(t *testing.T, builds ...rustBuild) []string {
	rustc := testenv.RequireTool(t, "rustc", "apt-get install rustc")
	dir := t.TempDir()
	paths := make([]string, len(builds))
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, b := range builds {
		paths[i] = filepath.Join(dir, b.out)
		src, err := filepath.Abs(filepath.Join("testdata", "rust", b.src))
		if err != nil {
			t.Fatal(err)
		}
		args := append(append([]string{}, b.flags...), "-o", paths[i], src)
		wg.Go(func() {
			cmd := exec.Command(rustc, args...)
			// rustc's temporary files go to the test's directory.
			cmd.Env = append(os.Environ(), "TMPDIR="+dir)
			if b.env != "" {
				cmd.Env = append(cmd.Env, b.env)
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("%s rustc %s: %v\n%s", b.env, strings.Join(args, " "), err, out)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// legacyHashed matches the end of a legacy Rust name: its hash, "E" and
// maybe a suffix.
var legacyHashed = regexp.MustCompile(`17h[0-9a-f]{16}E(\..*)?$`)

// rustSymbols returns the sorted distinct Rust names of the ELF file at
// path: the v0 names and the legacy ones (with their hash), from its
// symbol table, or its dynamic one when it has none.
func rustSymbols(t *testing.T, path string) []string {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if len(syms) == 0 {
		syms, err = f.DynamicSymbols()
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var names []string
	for _, s := range syms {
		if strings.HasPrefix(s.Name, "_R") || strings.HasPrefix(s.Name, "_ZN") && legacyHashed.MatchString(s.Name) {
			names = append(names, s.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// filterNames runs the program path with args once, writing names to its
// stdin one a line, and returns the lines it prints, one for each name.
func filterNames(t *testing.T, path string, args []string, names []string) []string {
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(strings.Join(names, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", path, strings.Join(args, " "), err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%s: %d lines for %d names", path, len(lines), len(names))
	}
	return lines
}

// withoutSuffix returns a Rust name without the suffix after it
// (".llvm.123"), which rustc-demangle would print but AppendRust and
// c++filt drop.
func withoutSuffix(name string) string {
	if strings.HasPrefix(name, "_R") {
		if i := strings.IndexByte(name, '.'); i >= 0 {
			return name[:i]
		}
		return name
	}
	return "_ZN" + trimLegacySuffix(name[3:])
}

// rustAgreement counts how the Full text of Rust names compares with
// c++filt's and rustc-demangle's.
type rustAgreement struct {
	names     int
	cxxfilt   int            // as c++filt prints them
	unchanged int            // c++filt gives back as they are
	misprints map[string]int // c++filt prints otherwise than rustc-demangle: by kind
	llvm      int            // llvm-cxxfilt prints otherwise than c++filt (v0 only)
}

// String reports the counts.
func (a rustAgreement) String() string {
	return fmt.Sprintf("%d names: %d as c++filt -i prints them, %d left mangled by c++filt, c++filt's misprints %v; %d v0 names where llvm-cxxfilt differs from c++filt",
		a.names, a.cxxfilt, a.unchanged, a.misprints, a.llvm)
}

// maxLogged bounds the names compareRust logs of each kind: an old
// c++filt, without v0, would leave them all mangled.
const maxLogged = 10

// compareRust demangles names in Full style and checks the text against
// c++filt -i's (--no-verbose: no hash, crate disambiguators or types of
// constants), which must be the same but for c++filt's known misprints,
// and against rustc-demangle's (the oracle built by buildRust), which must
// be the same for all. When llvm-cxxfilt is installed, it reports where
// that prints v0 names otherwise than c++filt.
func compareRust(t *testing.T, names []string, oracle string) rustAgreement {
	cxxfilt := testenv.RequireTool(t, "c++filt", "apt-get install binutils")
	gnu := filterNames(t, cxxfilt, []string{"-i"}, names)
	stripped := make([]string, len(names))
	for i, name := range names {
		stripped[i] = withoutSuffix(name)
	}
	rustc := filterNames(t, oracle, nil, stripped)
	a := rustAgreement{names: len(names), misprints: map[string]int{}}
	var v0, v0gnu []string
	for i, name := range names {
		b, ok := AppendRust(nil, name, Full)
		got := string(b)
		switch {
		case !ok:
			t.Errorf("%q: not demangled; c++filt prints %q, rustc-demangle %q", name, gnu[i], rustc[i])
			continue
		case got != rustc[i]:
			t.Errorf("%q:\n got %q\nrustc-demangle %q\n       c++filt %q", name, got, rustc[i], gnu[i])
			continue
		case got == gnu[i]:
			a.cxxfilt++
		case gnu[i] == name:
			a.unchanged++
			if a.unchanged <= maxLogged {
				t.Logf("c++filt leaves %q mangled; rustc-demangle and flamekit print %q", name, got)
			}
		default:
			kind := cxxfiltMisprint(got)
			if kind == "" {
				t.Errorf("%q:\n got %q, as rustc-demangle prints it\nc++filt prints %q", name, got, gnu[i])
				continue
			}
			a.misprints[kind]++
			if a.misprints[kind] <= maxLogged {
				t.Logf("c++filt misprints %s: %q as %q, rustc-demangle and flamekit print %q", kind, name, gnu[i], got)
			}
		}
		if strings.HasPrefix(name, "_R") {
			v0, v0gnu = append(v0, name), append(v0gnu, gnu[i])
		}
	}
	if llvm, err := exec.LookPath("llvm-cxxfilt"); err == nil && len(v0) > 0 {
		// Where llvm-cxxfilt is installed, report where it differs.
		// It prints a suffix after the name: "main::main (.llvm.123)".
		for i, text := range filterNames(t, llvm, nil, v0) {
			if j := strings.Index(text, " (."); j >= 0 {
				text = text[:j]
			}
			if text != v0gnu[i] {
				a.llvm++
				if a.llvm <= maxLogged {
					t.Logf("llvm-cxxfilt prints %q as %q, c++filt as %q", v0[i], text, v0gnu[i])
				}
			}
		}
	}
	return a
}

// cxxfiltMisprint returns the kind of c++filt's known misprint that a name
// with the text full, rustc-demangle's, may suffer, or "". c++filt (GNU
// binutils 2.40) prints constants beyond 64 bits with their first digit
// dropped and the "_" after them, chars as C does rather than as Rust does
// ('\” as ”', 'ß' as '\u{df}'), and leaves the non-ASCII characters of
// legacy names escaped ("$u7e$"); it does not read constants of str,
// reference, array, tuple or struct type, and gives those names back.
func cxxfiltMisprint(full string) string {
	switch {
	case strings.Contains(full, "0x"):
		return "128-bit constants"
	case charConstant.MatchString(full):
		return "char constants"
	case !isASCII(full):
		return "non-ASCII characters"
	}
	return ""
}

// charConstant matches a char constant as rustc-demangle prints it: 'a',
// '\”, '\u{7f}', 'ß'.
var charConstant = regexp.MustCompile(`'([^'\\]|\\.|\\u\{[0-9a-f]+\})'`)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// rustProgramNames are names of the test program's functions as Full and
// Short style print them, for each mangling.
var rustProgramNames = map[string]map[Style][]string{
	"legacy": {
		Full: {
			"prog::outer::inner::deepest::leaf",
			"prog::überraschung::grüße",
			"prog::überraschung::Größe<T>::größer",
			"<prog::Square<_> as prog::Shape>::area",
			"<(A,B,*const u8) as prog::Tagged>::tag",
		},
		Short: {
			"prog::überraschung::Größe::größer",
			"<prog::Square as prog::Shape>::area",
		},
	},
	"v0": {
		Full: {
			"prog::outer::inner::deepest::leaf",
			"prog::überraschung::grüße",
			"<prog::überraschung::Größe<u16>>::größer",
			"<prog::Square<3> as prog::Shape>::area",
			"<prog::outer::inner::Wrapper<alloc::vec::Vec<u64>>>::twice",
			"<(u8, &str, *const u8) as prog::Tagged>::tag",
			"prog::apply::<prog::main::{closure#2}>",
			"prog::apply::<prog::main::{closure#3}::{closure#0}>",
			"<prog::main::{closure#4} as core::ops::function::FnOnce<()>>::call_once::{shim:vtable#0}",
			"prog::arrays::<f32, 4>",
			"prog::signed::<-42>",
			"prog::signed::<-9223372036854775808>",
			"prog::wide::<0xffffffffffffffffffffffffffffffff>",
			"prog::wide_signed::<-0x80000000000000000000000000000000>",
			"prog::byte::<255, -128>",
			"prog::flag::<true>",
			"prog::letter::<'\\''>",
			"prog::letter::<'ß'>",
			"prog::type_name_len::<for<'a> fn(&'a [u8]) -> &'a u8>",
			`prog::type_name_len::<unsafe extern "C" fn(i32) -> i32>`,
			"prog::type_name_len::<dyn for<'a> core::ops::function::Fn<(&'a str,), Output = usize>>",
			"prog::type_name_len::<[u16]>",
			"prog::type_name_len::<str>",
			"prog::type_name_len::<*mut u32>",
			"core::ptr::drop_in_place::<alloc::boxed::Box<dyn core::ops::function::FnOnce<(), Output = alloc::string::String> + core::marker::Send>>",
		},
		Short: {
			"<prog::überraschung::Größe>::größer",
			"<prog::Square as prog::Shape>::area",
			"<prog::main::{closure#4} as core::ops::function::FnOnce>::call_once::{shim:vtable#0}",
			"prog::signed",
			"prog::type_name_len",
			"core::ptr::drop_in_place",
		},
	},
}

// TestRustAgainstCxxfilt builds testdata/rust/prog.rs with rustc, with its
// default legacy mangling and with v0, and checks that every Rust name of
// both binaries (the standard library's linked in) demangles as c++filt -i
// and rustc-demangle print it, and that the program's functions are there.
func TestRustAgainstCxxfilt(t *testing.T) {
	testenv.RequireTool(t, "c++filt", "apt-get install binutils")
	bins := buildRust(t, rustLegacyBuild, rustV0Build, rustOracleBuild)
	oracle := bins[2]
	for i, mangling := range []string{"legacy", "v0"} {
		t.Run(mangling, func(t *testing.T) {
			names := rustSymbols(t, bins[i])
			if len(names) < 300 {
				t.Fatalf("only %d Rust names in %s", len(names), bins[i])
			}
			t.Log(compareRust(t, names, oracle))
			texts := map[Style]map[string]bool{Full: {}, Short: {}}
			for _, name := range names {
				for _, st := range styles {
					if text, ok := AppendRust(nil, name, st); ok {
						texts[st][string(text)] = true
					} else {
						t.Errorf("%v %q: not demangled", st, name)
					}
				}
			}
			for st, want := range rustProgramNames[mangling] {
				for _, name := range want {
					if !texts[st][name] {
						t.Errorf("%v: no %q among the %d names", st, name, len(texts[st]))
					}
				}
			}
			// The frame under main in every Rust program's stack, which
			// rustc instantiates in the program, so with its mangling. It
			// is in std::sys::backtrace, or std::sys_common::backtrace
			// in older versions of Rust.
			begin := 0
			for text := range texts[Full] {
				if strings.HasSuffix(text, "::backtrace::__rust_begin_short_backtrace") ||
					strings.Contains(text, "::backtrace::__rust_begin_short_backtrace::<") {
					begin++
				}
			}
			if begin == 0 {
				t.Errorf("no __rust_begin_short_backtrace among the names")
			}
		})
	}
}

// rustcDriver returns the path of rustc's own library, librustc_driver,
// in the sysroot of the rustc on the PATH (lib, or lib/<triple> in
// Debian's) or in a toolchain of rustup's, or "".
func rustcDriver() string {
	var patterns []string
	if out, err := exec.Command("rustc", "--print", "sysroot").Output(); err == nil {
		root := strings.TrimSpace(string(out))
		patterns = append(patterns, filepath.Join(root, "lib", "librustc_driver-*.so"), filepath.Join(root, "lib", "*", "librustc_driver-*.so"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		patterns = append(patterns, filepath.Join(home, ".rustup", "toolchains", "*", "lib", "librustc_driver-*.so"))
	}
	for _, p := range patterns {
		if m, _ := filepath.Glob(p); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// TestRustcDriver compares the Full text of every Rust name of
// librustc_driver, rustc's own code (some 100,000 v0 names in Rust 1.95,
// legacy ones in older versions), with c++filt's and rustc-demangle's.
func TestRustcDriver(t *testing.T) {
	path := rustcDriver()
	if path == "" {
		// An optional extra corpus, not a requirement: the names of the
		// test program and testdata/rust/names.txt are the tests that
		// must run. rustup's toolchains have the library, and so may a
		// distribution's rustc, but a machine need not have it.
		t.Skip("no librustc_driver-*.so in rustc's sysroot or rustup's toolchains")
	}
	testenv.RequireTool(t, "c++filt", "apt-get install binutils")
	oracle := buildRust(t, rustOracleBuild)[0]
	names := rustSymbols(t, path)
	if len(names) < 1000 {
		t.Fatalf("only %d Rust names in %s", len(names), path)
	}
	t.Logf("%s: %v", path, compareRust(t, names, oracle))
}
