// Command inl is the Go program the gopclntab tests build and read: a known
// call chain with functions the compiler inlines (mid, leaf, Map) and some it
// must not (run, capture). Run as "inl frames", it prints main.main's
// address ("main.main<TAB>pc"; with the link-time one, it gives the load
// bias of a position-independent build), then, for the stack it captures
// inside the inlined leaf, what runtime.CallersFrames says: one line per
// frame, innermost first, "pc<TAB>function<TAB>file<TAB>line".
package main

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
)

// cHook calls C code when the program is built with cgo (cgo.go).
var cHook func(int) int

type acc struct {
	sum int
	pcs []uintptr
}

//go:noinline
func (a *acc) capture() {
	a.pcs = make([]uintptr, 64)
	a.pcs = a.pcs[:runtime.Callers(0, a.pcs)]
}

// leaf is inlined into mid.
func leaf(a *acc, i int) int {
	if i == 7 && a.pcs == nil {
		a.capture()
	}
	return i * 3
}

// mid is inlined into run.
func mid(a *acc, i int) int {
	return leaf(a, i) + 1
}

// Map is a small generic function, inlined too.
func Map[T any](xs []T, f func(T) T) []T {
	for i, x := range xs {
		xs[i] = f(x)
	}
	return xs
}

//go:noinline
func (a *acc) run(n int) {
	for i := 0; i < n; i++ {
		a.sum += mid(a, i)
	}
	xs := Map([]int{1, 2, 3}, func(x int) int { return x + a.sum })
	a.sum += xs[2]
	if cHook != nil {
		a.sum = cHook(a.sum)
	}
}

func main() {
	a := &acc{}
	a.run(10)
	if len(os.Args) < 2 || os.Args[1] != "frames" {
		fmt.Println(a.sum)
		return
	}
	fmt.Printf("main.main\t%#x\n", reflect.ValueOf(main).Pointer())
	frames := runtime.CallersFrames(a.pcs)
	for {
		f, more := frames.Next()
		fmt.Printf("%#x\t%s\t%s\t%d\n", f.PC, f.Function, f.File, f.Line)
		if !more {
			break
		}
	}
}
