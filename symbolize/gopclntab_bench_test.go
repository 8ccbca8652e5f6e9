package symbolize

import (
	"debug/elf"
	"math/rand/v2"
	"testing"
)

// goBenchAddrs makes addresses as ../shared/bench/gen-addrs does: n inside
// functions of the symbol table (a tenth of them at the start), n/10
// anywhere in .text, shuffled, from a fixed seed.
func goBenchAddrs(b *testing.B, ef *elf.File, n int) []uint64 {
	syms, err := ef.Symbols()
	if err != nil {
		b.Fatal(err)
	}
	text := ef.Section(".text")
	var funcs []elf.Symbol
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Size > 0 && s.Value >= text.Addr && s.Value < text.Addr+text.Size {
			funcs = append(funcs, s)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	addrs := make([]uint64, 0, n+n/10)
	for i := 0; i < n; i++ {
		s := funcs[r.IntN(len(funcs))]
		if r.IntN(10) == 0 {
			addrs = append(addrs, s.Value)
		} else {
			addrs = append(addrs, s.Value+r.Uint64N(s.Size))
		}
	}
	for i := 0; i < n/10; i++ {
		addrs = append(addrs, text.Addr+r.Uint64N(text.Size))
	}
	r.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	return addrs
}

// BenchmarkGoTableLoad opens compile and reads its pclntab.
func BenchmarkGoTableLoad(b *testing.B) {
	path := goCompilePath(b)
	b.ReportAllocs()
	for b.Loop() {
		ef, err := elf.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := newGoTable(ef, nil); err != nil {
			b.Fatal(err)
		}
		ef.Close()
	}
}

// BenchmarkGoTableLookup symbolizes gen-addrs-like addresses in compile,
// with file:line and without.
func BenchmarkGoTableLookup(b *testing.B) {
	ef, err := elf.Open(goCompilePath(b))
	if err != nil {
		b.Fatal(err)
	}
	defer ef.Close()
	tab, err := newGoTable(ef, nil)
	if err != nil {
		b.Fatal(err)
	}
	addrs := goBenchAddrs(b, ef, 100000)
	for _, lines := range []bool{true, false} {
		name := "names"
		if lines {
			name = "lines"
		}
		b.Run(name, func(b *testing.B) {
			var dst []Frame
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				dst, _ = tab.lookup(addrs[n%len(addrs)], lines, dst[:0], nil)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "addr/s")
		})
	}
}
