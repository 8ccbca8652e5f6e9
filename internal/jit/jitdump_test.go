package jit

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func parseJitdumpFile(t *testing.T, name string) *Jitdump {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	j, err := ParseJitdump(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestJitdumpEdgeCases(t *testing.T) {
	j := parseJitdumpFile(t, "testdata/edge.dump")
	if j.Machine != 62 || j.PID != 4242 || j.Bad != 0 || !j.Truncated || j.Len() != 4 {
		t.Errorf("Machine %d PID %d Bad %d Truncated %v Len %d; want 62 4242 0 true 4", j.Machine, j.PID, j.Bad, j.Truncated, j.Len())
	}
	for _, c := range []struct {
		addr uint64
		want Symbol
	}{
		{0x1000, Symbol{Name: "fn_a", Start: 0x1000, Size: 0x100, File: "/src/a.js", Line: 10}},
		{0x100f, Symbol{Name: "fn_a", Start: 0x1000, Size: 0x100, File: "/src/a.js", Line: 10}},
		{0x1010, Symbol{Name: "fn_a", Start: 0x1000, Size: 0x100, File: "/src/a2.js", Line: 11}},
		{0x1050, Symbol{Name: "fn_a", Start: 0x1000, Size: 0x100, File: "/src/a.js", Line: 12}}, // "\xff": the previous entry's file
		{0x1080, Symbol{Name: "fn_c", Start: 0x1080, Size: 0x10}},                               // later CODE_LOAD wins
		{0x1090, Symbol{Name: "fn_a", Start: 0x1000, Size: 0x100, File: "/src/a.js", Line: 12}},
		{0x2010, Symbol{Name: "fn_b with spaces", Start: 0x2000, Size: 0x80, File: "/src/b.js", Line: 7}},
		{0x3010, Symbol{Name: "fn_b with spaces", Start: 0x3000, Size: 0x80, File: "/src/b.js", Line: 7}}, // CODE_MOVE
		{0x3080, Symbol{}},
		{0xfff, Symbol{}},
	} {
		got, ok := j.Lookup(c.addr)
		if got != c.want || ok != (c.want.Name != "") {
			t.Errorf("Lookup(%#x) = %+v, %v; want %+v", c.addr, got, ok, c.want)
		}
	}
}

func TestJitdumpBigEndianAndZeroSize(t *testing.T) {
	j := parseJitdumpFile(t, "testdata/bigendian.dump")
	if s, ok := j.Lookup(0x4010); !ok || s.Name != "be_fn" || j.Machine != 0 {
		t.Errorf("big-endian: Lookup = %+v, %v, machine %d", s, ok, j.Machine)
	}
	j = parseJitdumpFile(t, "testdata/zerosize.dump")
	if _, ok := j.Lookup(0x6000); ok || j.Bad != 1 {
		t.Errorf("zero total_size: Bad = %d, read past it: %v", j.Bad, ok)
	}
	if s, _ := j.Lookup(0x5000); s.Name != "before" {
		t.Errorf("zero total_size: lost the record before it: %+v", s)
	}
	for _, bad := range []string{"", "JiTD", strings.Repeat("x", 40), "DTiJ" + strings.Repeat("\x00", 36)} {
		if _, err := ParseJitdump(strings.NewReader(bad)); !errors.Is(err, ErrBadJitdump) {
			t.Errorf("%q: err = %v, want ErrBadJitdump", bad, err)
		}
	}
}

// TestJitdumpRefresh feeds a dump in pieces, as a running writer makes it.
func TestJitdumpRefresh(t *testing.T) {
	full, err := os.ReadFile("testdata/edge.dump")
	if err != nil {
		t.Fatal(err)
	}
	cut := 48 + 100 // the header and part of the first DEBUG_INFO
	j, err := ParseJitdump(bytes.NewReader(full[:cut]))
	if err != nil {
		t.Fatal(err)
	}
	if !j.Truncated || j.Len() != 0 {
		t.Fatalf("partial: Truncated %v Len %d", j.Truncated, j.Len())
	}
	if err := j.Refresh(bytes.NewReader(full)); err != nil {
		t.Fatal(err)
	}
	if s, _ := j.Lookup(0x1010); s.Name != "fn_a" || s.Line != 11 || j.Len() != 4 {
		t.Errorf("after refresh: %+v, Len %d", s, j.Len())
	}
}

// TestJitdumpNode20 reads the head of a real dump of node --perf-prof
// (v20.20.2), whose DEBUG_INFO file names are garbage.
func TestJitdumpNode20(t *testing.T) {
	j := parseJitdumpFile(t, "testdata/node20-head.dump")
	if j.Machine != 62 || j.Len() < 50 || j.Truncated {
		t.Fatalf("Machine %d Len %d Truncated %v", j.Machine, j.Len(), j.Truncated)
	}
	c := j.codes[0]
	if s, ok := j.Lookup(c.start + c.size/2); !ok || s.Name == "" {
		t.Errorf("first code %+v not found: %+v", c, s)
	}
	for _, c := range j.codes {
		for _, l := range c.lines {
			if !printable([]byte(l.file)) {
				t.Errorf("unprintable file %q kept", l.file)
			}
		}
	}
}

func FuzzParseJitdump(f *testing.F) {
	for _, name := range []string{"edge.dump", "bigendian.dump", "zerosize.dump", "node20-head.dump"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := ParseJitdump(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, c := range j.codes {
			if c.size > 0 {
				if _, ok := j.Lookup(c.start); !ok {
					t.Fatalf("code %+v not found", c)
				}
			}
		}
		if err := j.Refresh(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		// The second half again, as bytes a writer holds unflushed.
		if err := j.ReadTail(bytes.NewReader(b), int64(len(b)), b[len(b)/2:]); err != nil {
			t.Fatal(err)
		}
		if j.tail != nil {
			for _, c := range j.tail.codes {
				if _, ok := j.Lookup(c.start); c.size > 0 && !ok {
					t.Fatalf("tail code %+v not found", c)
				}
			}
		}
	})
}
