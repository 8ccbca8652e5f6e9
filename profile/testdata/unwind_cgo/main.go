// A Go program whose time is in C code it calls through cgo, built
// -O2 -fomit-frame-pointer: a stack goes from Go (frame pointers) into the
// runtime's switch to the system stack (asmcgocall) and into C (call frame
// information), and must be whole across both.
package main

/*
#cgo CFLAGS: -O2 -fomit-frame-pointer
__attribute__((noinline)) static unsigned long c_leaf(unsigned long n) {
	volatile unsigned long s = 0;
	for (unsigned long i = 0; i < n; i++)
		s += i * i;
	return s;
}
__attribute__((noinline)) static unsigned long c_outer(unsigned long n) {
	return c_leaf(n) + 1;
}
*/
import "C"

import (
	"fmt"
	"time"
)

//go:noinline
func callC() uint64 { return uint64(C.c_outer(2000000)) }

func main() {
	var sink uint64
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		sink += callC()
	}
	fmt.Println(sink > 0)
}
