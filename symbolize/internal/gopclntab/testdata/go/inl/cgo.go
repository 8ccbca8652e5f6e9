//go:build cgo

package main

// static int twice(int x) { return 2 * x; }
import "C"

func init() {
	cHook = func(x int) int { return int(C.twice(C.int(x))) }
}
