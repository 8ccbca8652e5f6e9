package cfi

import (
	"path/filepath"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// benchBinaries are the files whose table build time and size
// BenchmarkBuild reports: libraries every process maps, and large
// programs built without frame pointers.
var benchBinaries = []string{
	"/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
	"/usr/bin/node",
	"/usr/bin/python3",
	"/usr/bin/xz",
}

// BenchmarkBuild builds the table of each binary, from opening the file,
// and reports its entries, its distinct rules and the bytes of its three
// slices.
func BenchmarkBuild(b *testing.B) {
	for _, path := range benchBinaries {
		b.Run(filepath.Base(path), func(b *testing.B) {
			testenv.RequireFile(b, path, "a Debian system library or program")
			var tab *Table
			for b.Loop() {
				var err error
				if tab, err = Open(path); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(tab.Starts)), "entries")
			b.ReportMetric(float64(len(tab.Rules)), "rules")
			b.ReportMetric(float64(tab.Bytes()), "table-bytes")
		})
	}
}

// BenchmarkLookup looks up every 64th address of libc's text.
func BenchmarkLookup(b *testing.B) {
	libc := "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(b, libc, "the C library")
	tab, err := Open(libc)
	if err != nil {
		b.Fatal(err)
	}
	lo, hi := tab.Starts[0], tab.Starts[len(tab.Starts)-1]
	addr := lo
	for b.Loop() {
		tab.Lookup(addr)
		if addr += 64; addr > hi {
			addr = lo
		}
	}
}
