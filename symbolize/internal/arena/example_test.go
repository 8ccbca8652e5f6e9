package arena_test

import (
	"fmt"

	"github.com/flamekit/flamekit/symbolize/internal/arena"
)

// Keep copies of names read from a buffer that is reused: the copies share
// the arena's blocks.
func ExampleStrings() {
	var a arena.Strings
	buf := []byte("main.main")
	kept := a.Keep(string(buf))
	copy(buf, "XXXX")
	fmt.Println(kept, a.Bytes())
	// Output: main.main 512
}
