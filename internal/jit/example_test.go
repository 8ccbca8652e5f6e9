package jit_test

import (
	"fmt"
	"strings"

	"github.com/flamekit/flamekit/internal/jit"
)

// A perf map as the JVM writes it (0x-prefixed) and as V8 does (bare hex,
// appended as code moves: the later line wins).
func ExampleParsePerfMap() {
	m, err := jit.ParsePerfMap(strings.NewReader(
		"0x00007fe4d8ec7640 0x0000000000000150 long Hot.fib(int)\n" +
			"7fe4d8ec7700 40 JS:*fib /tmp/hot.js:1:13\n" +
			"garbage\n"))
	if err != nil {
		panic(err)
	}
	for _, addr := range []uint64{0x7fe4d8ec7650, 0x7fe4d8ec7710, 0x7fe4d8ec7750} {
		if s, ok := m.Lookup(addr); ok {
			fmt.Printf("%#x %s+%#x\n", addr, s.Name, addr-s.Start)
		}
	}
	fmt.Println("bad lines:", m.Bad)
	// Output:
	// 0x7fe4d8ec7650 long Hot.fib(int)+0x10
	// 0x7fe4d8ec7710 JS:*fib /tmp/hot.js:1:13+0x10
	// 0x7fe4d8ec7750 long Hot.fib(int)+0x110
	// bad lines: 1
}
