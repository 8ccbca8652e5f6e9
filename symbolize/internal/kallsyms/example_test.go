package kallsyms_test

import (
	"fmt"
	"strings"

	"github.com/flamekit/flamekit/symbolize/internal/kallsyms"
)

func ExampleParse() {
	tab, err := kallsyms.Parse(strings.NewReader(
		"ffffffff821ef620 T do_syscall_64\n" +
			"ffffffff821ef8a0 t __pfx___do_fast_syscall_32\n" +
			"ffffffffc0400080 t xfs_read\t[xfs]\n"))
	if err != nil {
		panic(err)
	}
	for _, addr := range []uint64{0xffffffff821ef650, 0xffffffffc0400090} {
		s, _ := tab.Lookup(addr)
		fmt.Printf("%s [%s]\n", s.Name, tab.Modules()[s.Module])
	}
	// Output:
	// do_syscall_64 []
	// xfs_read [xfs]
}
