package pmc_test

import (
	"fmt"

	"github.com/flamekit/flamekit/pmc"
)

// ExampleParseEvents parses a perf -e list: a group read together, then a
// lone cache event counted in user mode only.
func ExampleParseEvents() {
	groups, err := pmc.ParseEvents("{cycles,instructions},L1-dcache-load-misses:u")
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, g := range groups {
		for _, e := range g {
			fmt.Printf("group %d: %s type %d config %#x user-only %t\n", i, e.Name, e.Type, e.Config, e.ExcludeKernel && !e.ExcludeUser)
		}
	}
	_, err = pmc.ParseEvents("L1-dcache-lod-misses")
	fmt.Println(err)
	// Output:
	// group 0: cycles type 0 config 0x0 user-only false
	// group 0: instructions type 0 config 0x1 user-only false
	// group 1: L1-dcache-load-misses:u type 3 config 0x10000 user-only true
	// pmc: unknown event "L1-dcache-lod-misses" (did you mean L1-dcache-load-misses, L1-icache-load-misses, L1-dcache-store-misses?)
}
