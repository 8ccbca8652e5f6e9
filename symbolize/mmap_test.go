package symbolize

import (
	"os"
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
	o.pcs = pcvalueCache{} // decode again, from the pages now gone
	after := o.lookup(pc, LookupOptions{Lines: true}, nil)
	if len(after) != 1 || after[0].Kind == KindGo {
		t.Errorf("after the cut, lookup(%#x) = %+v; want one frame not from the pclntab", pc, after)
	}
	if o.gotab != nil {
		t.Error("the object still uses its broken pclntab")
	}
}
