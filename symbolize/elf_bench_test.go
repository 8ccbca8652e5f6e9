package symbolize

import (
	"context"
	"debug/elf"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ntBenchFiles are the binaries the benchmarks use when present: libc (with
// its build-id debug file from libc6-dbg for DWARF) and node (an 86k-function
// .symtab, no DWARF).
func ntBenchFiles(b *testing.B) map[string]string {
	files := map[string]string{}
	if _, err := os.Stat("/lib/x86_64-linux-gnu/libc.so.6"); err == nil {
		files["libc"] = "/lib/x86_64-linux-gnu/libc.so.6"
	}
	if p, err := exec.LookPath("node"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			files["node"] = p
		}
	}
	if len(files) == 0 {
		b.Skip("neither libc.so.6 nor node found")
	}
	return files
}

// BenchmarkNativeLoad measures opening a file and building its table.
func BenchmarkNativeLoad(b *testing.B) {
	for name, path := range ntBenchFiles(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ef, err := elf.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := newNativeTable(context.Background(), ef, nil, path, nativeOptions{}); err != nil {
					b.Fatal(err)
				}
				ef.Close()
			}
		})
	}
}

// BenchmarkNativeLookup measures lookups of addresses inside functions (as
// gen-addrs makes them: a random function, 10% at its start, else a random
// offset in it), from the symbol table alone and with DWARF lines and
// inlines (after a warm-up pass that parses the units involved, which is
// included in BenchmarkNativeFirstLines).
func BenchmarkNativeLookup(b *testing.B) {
	for name, path := range ntBenchFiles(b) {
		tab, addrs := ntBenchTable(b, path)
		for _, lines := range []bool{false, true} {
			mode := "symtab"
			if lines {
				mode = "lines"
			}
			b.Run(name+"/"+mode, func(b *testing.B) {
				var fr []Frame
				var names symNames
				for _, a := range addrs {
					fr, _ = tab.lookupNamed(context.Background(), a, lines, NamesRaw, &names, fr[:0])
				}
				b.ReportAllocs()
				b.ResetTimer()
				i := 0
				for b.Loop() {
					fr, _ = tab.lookupNamed(context.Background(), addrs[i%len(addrs)], lines, NamesRaw, &names, fr[:0])
					i++
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "addr/s")
			})
		}
	}
}

// BenchmarkNativeFirstLines measures the first pass with lines over 100k
// addresses on a fresh table: DWARF loading and unit parsing included.
func BenchmarkNativeFirstLines(b *testing.B) {
	for name, path := range ntBenchFiles(b) {
		b.Run(name, func(b *testing.B) {
			_, addrs := ntBenchTable(b, path)
			for b.Loop() {
				tab, _ := ntBenchTable(b, path)
				var fr []Frame
				for _, a := range addrs {
					fr, _ = tab.lookup(a, true, fr[:0])
				}
			}
			b.ReportMetric(float64(b.N*len(addrs))/b.Elapsed().Seconds(), "addr/s")
		})
	}
}

// ntBenchTable loads a table and draws 100k addresses inside its symbols.
func ntBenchTable(b *testing.B, path string) (*nativeTable, []uint64) {
	b.Helper()
	tab := ntOpen(b, path, nativeOptions{DebugDirs: []string{"/usr/lib/debug"}})
	rng := rand.New(rand.NewPCG(1, 2))
	addrs := make([]uint64, 100000)
	for i := range addrs {
		s := tab.syms[rng.IntN(len(tab.syms))]
		addrs[i] = s.addr
		if s.size() > 0 && rng.IntN(10) != 0 {
			addrs[i] += uint64(rng.IntN(int(s.size())))
		}
	}
	return tab, addrs
}
