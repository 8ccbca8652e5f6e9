// Command gowork spins for 1.5 s in spinGo, for the profiler's test of a
// stripped Go program.
package main

import "time"

var sink uint64

//go:noinline
func spinGo(n int) {
	for i := 0; i < n; i++ {
		sink += uint64(i) * 2654435761
	}
}

func main() {
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); {
		spinGo(1 << 20)
	}
}
