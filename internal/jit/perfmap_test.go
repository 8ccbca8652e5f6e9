package jit

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func TestPerfMapEdgeCases(t *testing.T) {
	f, err := os.Open("testdata/edge.map")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ParsePerfMap(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Bad != 4 || m.Len() != 7 {
		t.Errorf("Bad = %d, Len = %d; want 4, 7", m.Bad, m.Len())
	}
	for _, c := range []struct {
		addr  uint64
		name  string
		start uint64
	}{
		{0x7fe4d8ec7640, "long Hot.fib(int)", 0x7fe4d8ec7640},
		{0x7fe4d8ec778f, "long Hot.fib(int)", 0x7fe4d8ec7640},
		{0x7fe4d8ec7790, "", 0},
		{0xfff, "", 0},
		{0x1000, "later wins at the start", 0x1000},
		{0x101f, "later wins at the start", 0x1000},
		{0x1020, "first", 0x1000},
		{0x1085, "JS:*fib /tmp/jit/hot.js:1:13", 0x1080},
		{0x1090, "first", 0x1000},
		{0x10ff, "first", 0x1000},
		{0x1100, "", 0},
		{0x203f, "I2C/C2I adapters", 0x2000},
		{0x3000, "", 0},
	} {
		sym, ok := m.Lookup(c.addr)
		name, start := sym.Name, sym.Start
		if name != c.name || start != c.start || ok != (c.name != "") {
			t.Errorf("Lookup(%#x) = %q, %#x, %v; want %q, %#x", c.addr, name, start, ok, c.name, c.start)
		}
	}
	var zero PerfMap
	if _, ok := zero.Lookup(0x1000); ok {
		t.Error("zero PerfMap named an address")
	}
}

func TestPerfMapLongLine(t *testing.T) {
	in := "10 10 a\n20 10 " + strings.Repeat("x", 2*maxPerfMapLine) + "\n30 10 c"
	m, err := ParsePerfMap(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if sym, _ := m.Lookup(0x35); m.Bad != 1 || sym.Name != "c" {
		t.Errorf("Bad = %d, Lookup(0x35) = %+v; want 1, c", m.Bad, sym)
	}
}

// naiveLatest is the obvious definition latestWins must agree with.
func naiveLatest(spans []span, addr uint64) (int, bool) {
	for i := len(spans) - 1; i >= 0; i-- {
		if spans[i].start <= addr && addr < spans[i].end {
			return i, true
		}
	}
	return 0, false
}

func TestLatestWinsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		spans := make([]span, r.IntN(30))
		for i := range spans {
			s := r.Uint64N(200)
			spans[i] = span{s, s + r.Uint64N(40)}
		}
		segs := latestWins(spans)
		for a := uint64(0); a < 260; a++ {
			gi, gok := lookupSegment(segs, a)
			wi, wok := naiveLatest(spans, a)
			if gi != wi || gok != wok {
				t.Fatalf("spans %v addr %d: got %d,%v want %d,%v", spans, a, gi, gok, wi, wok)
			}
		}
	}
}

func FuzzParsePerfMap(f *testing.F) {
	seed, err := os.ReadFile("testdata/edge.map")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("10 20 a\n18 4 b\n0x1c 0x10 c d\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParsePerfMap(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		var spans []span
		for _, line := range strings.Split(s, "\n") {
			if sym, end, ok := parsePerfMapLine([]byte(line)); ok && len(line) < maxPerfMapLine {
				spans = append(spans, span{sym.start, end})
			}
		}
		for _, sp := range spans {
			for _, a := range []uint64{sp.start, sp.end - 1, sp.end} {
				wi, wok := naiveLatest(spans, a)
				sym, ok := m.Lookup(a)
				if ok != wok || (ok && sym.Start != spans[wi].start) {
					t.Fatalf("Lookup(%#x) = %+v,%v; want %s", a, sym, ok, fmt.Sprint(spans[wi]))
				}
			}
		}
	})
}
