package gopclntab

import (
	"debug/elf"
	"testing"

	"github.com/flamekit/flamekit/internal/addrgen"
)

// goBenchAddrs makes the addresses internal/cmd/gen-addrs makes with
// --syms n --random n/10 --seed 1: n inside the functions of the symbol
// table (a tenth of them at the start) and n/10 anywhere in .text,
// shuffled.
func goBenchAddrs(b *testing.B, ef *elf.File, n int) []uint64 {
	funcs, err := addrgen.Functions(ef, false)
	if err != nil {
		b.Fatal(err)
	}
	made, err := funcs.Addresses(addrgen.Options{Syms: n, Random: n / 10, StartFrac: 0.1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]uint64, len(made))
	for i, a := range made {
		addrs[i] = a.Addr
	}
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
		if _, err := Open(ef, nil); err != nil {
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
	tab, err := Open(ef, nil)
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
				dst, _ = tab.Lookup(addrs[n%len(addrs)], lines, dst[:0], nil)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "addr/s")
		})
	}
}
