package symbolize_test

import (
	"fmt"
	"strings"

	"github.com/flamekit/flamekit/symbolize"
)

// A perf map as the JVM writes it (0x-prefixed) and as V8 does (bare hex,
// appended as code moves: the later line wins).
func ExampleParsePerfMap() {
	m, err := symbolize.ParsePerfMap(strings.NewReader(
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

func ExampleParseKallsyms() {
	k, err := symbolize.ParseKallsyms(strings.NewReader(
		"ffffffff821ef620 T do_syscall_64\n" +
			"ffffffff821ef8a0 t __pfx___do_fast_syscall_32\n" +
			"ffffffffc0400080 t xfs_read\t[xfs]\n"))
	if err != nil {
		panic(err)
	}
	for _, addr := range []uint64{0xffffffff821ef650, 0xffffffffc0400090} {
		f, _ := k.Lookup(addr)
		fmt.Println(f.Function, f.Module.Path, f.Kind)
	}
	// Output:
	// do_syscall_64 [kernel.kallsyms] kernel
	// xfs_read [xfs] kernel
}
