package cfi

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestBuildMemory checks what building a table allocates, all of it
// transient but its result: at most 8 times the .eh_frame it reads. A
// continuous profiler builds the tables of the programs it sees while it
// runs, and its peak memory is what the biggest of those builds holds.
// With every FDE's rows made before merging, libc took 29 times its
// .eh_frame and python3 21 times (gcc's cc1: 80 MiB for a 4 MiB table).
func TestBuildMemory(t *testing.T) {
	if testenv.RaceEnabled {
		t.Skip("the race detector's instrumentation allocates: what Build allocates is measured without it")
	}
	for _, path := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/bin/python3"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			testenv.RequireFile(t, path, "a Debian system library or program")
			f := openELF(t, path)
			sec := f.Section(".eh_frame")
			if sec == nil {
				t.Fatalf("%s has no .eh_frame", path)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			tab, err := Build(f)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			allocated := after.TotalAlloc - before.TotalAlloc
			if allocated > 8*sec.Size {
				t.Errorf("building the table of %s allocated %d bytes, %.1f times its %d-byte .eh_frame (want at most 8); the table is %d bytes",
					path, allocated, float64(allocated)/float64(sec.Size), sec.Size, tab.Bytes())
			}
			t.Logf("%s: %d bytes allocated for a %d-byte .eh_frame (%.1fx), a table of %d bytes", path, allocated, sec.Size, float64(allocated)/float64(sec.Size), tab.Bytes())
		})
	}
}
