// Command cgospin calls C through cgo for good: main.goCaller calls cwork,
// which calls cmiddle, which spins in cspin, all C built -O2
// -fomit-frame-pointer. A frame-pointer walk from cspin skips cmiddle; a
// CFI walk goes through the C frames, then Go's, by their frame pointers,
// from the thread's stack to the goroutine's. It prints "ready" once
// running.
package main

/*
#cgo CFLAGS: -O2 -fomit-frame-pointer
__attribute__((noinline)) static unsigned long cspin(unsigned long n) {
	volatile unsigned long s = 0;
	for (unsigned long i = 0; i < n; i++)
		s += i;
	return s;
}
__attribute__((noinline)) static unsigned long cmiddle(unsigned long n) {
	unsigned long r = cspin(n);
	return r + 1; // not a tail call
}
static unsigned long cwork(void) { return cmiddle(50000000); }
*/
import "C"

import "fmt"

//go:noinline
func goCaller() uint64 { return uint64(C.cwork()) }

func main() {
	fmt.Println("ready")
	var s uint64
	for {
		s += goCaller()
	}
}
