package demangle_test

import (
	"fmt"

	"github.com/flamekit/flamekit/internal/demangle"
)

func ExampleAppendItanium() {
	const name = "_ZNSt6vectorIiSaIiEE9push_backERKi.cold"
	var buf []byte
	for _, style := range []demangle.Style{demangle.Full, demangle.Short} {
		var ok bool
		buf, ok = demangle.AppendItanium(buf[:0], name, style)
		if !ok {
			// Fall back to github.com/ianlancetaylor/demangle.
			continue
		}
		fmt.Printf("%s\n", buf)
	}
	// Output:
	// std::vector<int, std::allocator<int> >::push_back(int const&) [clone .cold]
	// std::vector::push_back
}
