package scope

import (
	"bytes"
	"testing"
)

// indexSwapper finds what bytes.Index finds, wherever the word's 'w' and
// its false starts are.
func TestIndexSwapperIsBytesIndex(t *testing.T) {
	for _, s := range []string{
		"", "w", "swapper", "wswapper", "swappe", "s\nwapper", "ww swapper",
		"\tffff do_idle (x)\n\tffff swap_writer swapper_fn (x)\n",
		"swapswapper", "xswapperswapper", "wwwwwwww", "swapper\n",
	} {
		if got, want := indexSwapper([]byte(s)), bytes.Index([]byte(s), idleProcess); got != want {
			t.Errorf("%q: %d, bytes.Index %d", s, got, want)
		}
	}
}
