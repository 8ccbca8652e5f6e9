package gopclntab_test

import (
	"debug/elf"
	"fmt"
	"os"
	"reflect"

	"github.com/flamekit/flamekit/symbolize/internal/gopclntab"
)

func knownFunction(n int) int { return n*n + 1 }

// Name a function of this program from its own pclntab: Go binaries are
// linked at fixed addresses, so its runtime address is its link-time one.
func ExampleTable_Lookup() {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		panic(err)
	}
	defer ef.Close()
	tab, err := gopclntab.Open(ef, nil)
	if err != nil {
		panic(err)
	}
	pc := uint64(reflect.ValueOf(knownFunction).Pointer())
	frames, ok := tab.Lookup(pc, false, nil, nil)
	fmt.Println(frames[0].Function, ok)
	// Output: github.com/flamekit/flamekit/symbolize/internal/gopclntab_test.knownFunction true
}
