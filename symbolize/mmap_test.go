package symbolize

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/symbolize/internal/gopclntab"
)

// TestMappedTableCutShort maps a Go binary's pclntab, names an address,
// then cuts the file short under the mapping: the next lookup must not
// crash the process (SIGBUS) but fall back to what the other tables name.
func TestMappedTableCutShort(t *testing.T) {
	bin, funcs := buildGoProgram(t)
	path := copyFile(t, bin)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := openObject(t.Context(), f, f, path, nativeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	if len(o.maps.maps) == 0 {
		t.Fatal("the pclntab was not mapped")
	}
	pc := funcs[len(funcs)/2] + 1
	before := o.lookup(t.Context(), pc, LookupOptions{Lines: true}, nil)
	if before[0].Kind != KindGo || before[0].Function == "" {
		t.Fatalf("lookup(%#x) = %+v; want a Go function", pc, before)
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	o.goc = gopclntab.Cache{Copy: o.goc.Copy} // decode again, from the pages now gone
	after := o.lookup(t.Context(), pc, LookupOptions{Lines: true}, nil)
	if len(after) != 1 || after[0].Kind == KindGo {
		t.Errorf("after the cut, lookup(%#x) = %+v; want one frame not from the pclntab", pc, after)
	}
	if o.gotab != nil {
		t.Error("the object still uses its broken pclntab")
	}
}

// TestFramesOutliveMapping names addresses of a Go binary, whose pclntab is
// mapped, then closes the Symbolizer, which unmaps it: the frames' strings
// must still be readable (copies, not views of the mapping).
func TestFramesOutliveMapping(t *testing.T) {
	path, funcs := buildGoProgram(t)
	var addrs []uint64
	for i := 0; i < len(funcs); i += max(1, len(funcs)/50) {
		addrs = append(addrs, funcs[i]+1)
	}
	s := New(Options{})
	frames, err := s.File(t.Context(), path, addrs, VirtualAddress, LookupOptions{Lines: true})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, len(frames))
	for i, fs := range frames {
		want[i] = strings.Clone(fs[len(fs)-1].Function + " " + fs[0].File)
	}
	s.Close()
	runtime.GC()
	for i, fs := range frames {
		if got := fs[len(fs)-1].Function + " " + fs[0].File; got != want[i] {
			t.Errorf("frame %d: %q after Close, %q before", i, got, want[i])
		}
	}
}

// buildGoProgram builds the Go program of the pclntab reader's tests
// (internal/gopclntab/testdata/go/inl), without cgo, and returns its path and
// the entries of its functions, in address order.
func buildGoProgram(t *testing.T) (string, []uint64) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "inl")
	cmd := exec.Command(testenv.RequireTool(t, "go", "install Go"), "build", "-o", bin, ".")
	cmd.Dir, cmd.Env = "internal/gopclntab/testdata/go/inl", append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	text := ef.Section(".text")
	var funcs []uint64
	for _, s := range ntSymbols(t, bin) {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Size > 0 && s.Value >= text.Addr && s.Value < text.Addr+text.Size {
			funcs = append(funcs, s.Value)
		}
	}
	slices.Sort(funcs)
	if len(funcs) < 1000 {
		t.Fatalf("%s has %d functions", bin, len(funcs))
	}
	return bin, funcs
}

// ntManySymbols builds a C++ program whose symbol table's strings pass
// minMapped (1,500 functions with long mangled names), and returns its path
// and the functions' addresses.
func ntManySymbols(t *testing.T) (string, []uint64) {
	t.Helper()
	dir := t.TempDir()
	var src strings.Builder
	src.WriteString("namespace flamekit_mapped_names_test { namespace nested_namespace {\n")
	for i := range 1500 {
		fmt.Fprintf(&src, "__attribute__((noinline)) int function_with_a_long_name_%04d(int a, long b, const char *c) { return a + b + c[%d]; }\n", i, i%7)
	}
	src.WriteString("}}\nint main() { return 0; }\n")
	if err := os.WriteFile(filepath.Join(dir, "many.cc"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ntRun(t, dir, "g++", "-O1", "-o", "many", "many.cc")
	path := filepath.Join(dir, "many")
	addrs := make([]uint64, 1500) // by function number
	n := 0
	for _, s := range ntSymbols(t, path) {
		if _, num, ok := strings.Cut(s.Name, "function_with_a_long_name_"); ok {
			var i int
			if _, err := fmt.Sscanf(num, "%4d", &i); err == nil && i < len(addrs) && addrs[i] == 0 {
				addrs[i] = s.Value + 1
				n++
			}
		}
	}
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if sec := ef.Section(".strtab"); sec == nil || sec.Size < minMapped || n != len(addrs) {
		t.Fatalf("the test program has %d functions and a .strtab of %v", n, sec)
	}
	return path, addrs
}

// TestNativeNamesMapped checks that a native table keeps its string table
// mapped (not copied into the heap), and that the names it gives out, in
// every style, outlive the mapping.
func TestNativeNamesMapped(t *testing.T) {
	path, addrs := ntManySymbols(t)
	tab := ntOpen(t, path, nativeOptions{})
	// The mapped .strtab, then the PLT stubs' names (__cxa_finalize@plt).
	if len(tab.maps) != 1 || len(tab.maps[0].maps) != 1 || tab.names.sizeBytes()-int64(len(tab.names.strs[0])) > 100 {
		t.Fatalf("the string table is not mapped: %d mappers, name sources of %d bytes, %d of them mapped",
			len(tab.maps), tab.names.sizeBytes(), len(tab.names.strs[0]))
	}
	s := New(Options{})
	var want [3][]string
	var frames [3][][]Frame
	for style := range NameStyle(3) {
		fs, err := s.File(t.Context(), path, addrs, VirtualAddress, LookupOptions{Names: style})
		if err != nil {
			t.Fatal(err)
		}
		frames[style] = fs
		for _, f := range fs {
			want[style] = append(want[style], strings.Clone(f[0].Function))
		}
	}
	s.Close()
	runtime.GC()
	for style := range NameStyle(3) {
		for i, f := range frames[style] {
			if f[0].Function != want[style][i] {
				t.Fatalf("style %d, %#x: %q after Close, %q before", style, addrs[i], f[0].Function, want[style][i])
			}
		}
	}
	if w := want[NamesShort][7]; w != "flamekit_mapped_names_test::nested_namespace::function_with_a_long_name_0007" {
		t.Errorf("short name %q", w)
	}
	if w := want[NamesDemangled][7]; !strings.HasSuffix(w, "function_with_a_long_name_0007(int, long, char const*)") {
		t.Errorf("demangled name %q", w)
	}
	if w := want[NamesRaw][7]; !strings.HasPrefix(w, "_ZN") {
		t.Errorf("raw name %q", w)
	}
}

// TestNativeNamesCutShort names one address of a binary whose string table
// is mapped, then cuts the file short: naming another must not crash the
// process (SIGBUS) but leave it unnamed, while the name given out before
// stays.
func TestNativeNamesCutShort(t *testing.T) {
	path, addrs := ntManySymbols(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := openObject(t.Context(), f, f, path, nativeOptions{DebugDirs: []string{t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	first := o.lookup(t.Context(), addrs[0], LookupOptions{}, nil)
	if !strings.Contains(first[0].Function, "_0000") {
		t.Fatalf("lookup(%#x) = %+v", addrs[0], first)
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	if again := o.lookup(t.Context(), addrs[0], LookupOptions{}, nil); again[0].Function != first[0].Function {
		t.Errorf("after the cut, the name given out before is %q; want %q", again[0].Function, first[0].Function)
	}
	last := o.lookup(t.Context(), addrs[len(addrs)-1], LookupOptions{}, nil)
	if len(last) != 1 || last[0].Function != "" {
		t.Errorf("after the cut, lookup(%#x) = %+v; want an unnamed frame", addrs[len(addrs)-1], last)
	}
}

// TestMappedPagesEvicted names every function of a binary whose string
// table is mapped: once the Symbolizer is done with the file, none of the
// table's pages may count in this process's RSS any more.
func TestMappedPagesEvicted(t *testing.T) {
	path, addrs := ntManySymbols(t)
	s := New(Options{})
	defer s.Close()
	if _, err := s.File(t.Context(), path, addrs, VirtualAddress, LookupOptions{}); err != nil {
		t.Fatal(err)
	}
	var regions [][]byte
	seen := map[*object]bool{} // under its file key and its build-id
	for _, o := range s.cache.byKey {
		if seen[o] {
			continue
		}
		seen[o] = true
		for _, m := range o.native.maps {
			regions = append(regions, m.maps...)
		}
	}
	if len(regions) == 0 {
		t.Fatal("no mapped string table")
	}
	for _, r := range regions {
		if kb := residentKB(t, r); kb != 0 {
			t.Errorf("the mapped string table keeps %d KiB resident", kb)
		}
	}
	// The test can fail: reading the table makes its pages resident.
	sink += regions[0][0]
	if kb := residentKB(t, regions[0]); kb == 0 {
		t.Error("reading the mapped table made no page resident: residentKB sees nothing")
	}
}

var sink byte

// residentKB returns the Rss of the mapping holding region, from
// /proc/self/smaps.
func residentKB(t *testing.T, region []byte) int {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	at := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(region))))
	in := false
	for _, line := range strings.Split(string(smaps), "\n") {
		var start, end uint64
		if n, _ := fmt.Sscanf(line, "%x-%x", &start, &end); n == 2 && strings.Contains(line, " ") {
			in = start <= at && at < end
			continue
		}
		var kb int
		if in && strings.HasPrefix(line, "Rss:") {
			fmt.Sscanf(strings.TrimPrefix(line, "Rss:"), "%d", &kb)
			return kb
		}
	}
	t.Fatalf("no mapping at %#x in /proc/self/smaps", at)
	return 0
}
