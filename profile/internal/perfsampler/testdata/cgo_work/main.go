// A Go program that spends its time in C code it calls through cgo, the C
// built -O2 -fomit-frame-pointer: a stack goes from Go (frame pointers)
// through the runtime's switch to the system stack (asmcgocall) into C
// (call frame information). It prints "ready" and runs until killed.
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

import "fmt"

//go:noinline
func callC() uint64 { return uint64(C.c_outer(2000000)) }

func main() {
	fmt.Println("ready")
	var sink uint64
	for {
		sink += callC()
	}
}
