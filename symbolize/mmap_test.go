package symbolize

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// TestMappedTableCutShort maps a Go binary's pclntab, names an address,
// then cuts the file short under the mapping: the next lookup must not
// crash the process (SIGBUS) but fall back to what the other tables name.
func TestMappedTableCutShort(t *testing.T) {
	path := copyFile(t, buildGo(t, t.TempDir(), goVariants[1]))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := openObject(f, f, path, nativeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	if len(o.maps.maps) == 0 {
		t.Fatal("the pclntab was not mapped")
	}
	_, tab := openGoTable(t, path)
	pc := tab.entry(tab.nfunc/2) + 1
	before := o.lookup(pc, LookupOptions{Lines: true}, nil)
	if before[0].Kind != KindGo || before[0].Function == "" {
		t.Fatalf("lookup(%#x) = %+v; want a Go function", pc, before)
	}
	if err := os.Truncate(path, 4096); err != nil {
		t.Fatal(err)
	}
	o.goc.pcs = pcvalueCache{} // decode again, from the pages now gone
	after := o.lookup(pc, LookupOptions{Lines: true}, nil)
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
	path := buildGo(t, t.TempDir(), goVariants[1])
	_, tab := openGoTable(t, path)
	var addrs []uint64
	for i := 0; i < tab.nfunc; i += max(1, tab.nfunc/50) {
		addrs = append(addrs, tab.entry(i)+1)
	}
	s := New(Options{})
	frames, err := s.File(path, addrs, VirtualAddress, LookupOptions{Lines: true})
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
