// Command inlineprog burns CPU in a small function the compiler inlines,
// writing a CPU profile and a heap profile, for the pprof reader's tests.
//
//	go run . cpu.pprof heap.pprof
package main

import (
	"log"
	"os"
	"runtime/pprof"
	"time"
)

var sink uint64

// mixInlined is small enough to be inlined into its caller.
func mixInlined(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

//go:noinline
func spinOuter(n int) uint64 {
	var s uint64
	for i := 0; i < n; i++ {
		s += mixInlined(s + uint64(i))
	}
	return s
}

//go:noinline
func allocSome(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, 4096)
	}
	return out
}

var keep [][]byte

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: inlineprog cpu.pprof heap.pprof")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	for end := time.Now().Add(400 * time.Millisecond); time.Now().Before(end); {
		sink += spinOuter(1 << 20)
	}
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	keep = allocSome(256)
	h, err := os.Create(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(h, 0); err != nil {
		log.Fatal(err)
	}
	if err := h.Close(); err != nil {
		log.Fatal(err)
	}
}
