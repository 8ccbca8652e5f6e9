package cfi_test

import (
	"fmt"

	"github.com/flamekit/flamekit/internal/cfi"
)

// A table as Build makes it for a function at 0x1000 that pushes rbp and
// then uses it as its frame pointer: each address finds the rule in force
// there, and addresses outside it none.
func ExampleTable_Lookup() {
	entry := cfi.Rule{CFA: cfi.CFARSP, CFAOffset: 8, RA: cfi.Save{Kind: cfi.SaveAtCFA, Offset: -8}}
	pushed := entry
	pushed.CFAOffset = 16
	pushed.RBP = cfi.Save{Kind: cfi.SaveAtCFA, Offset: -16}
	framed := pushed
	framed.CFA = cfi.CFARBP
	t := &cfi.Table{
		Starts: []uint64{0x1000, 0x1001, 0x1004, 0x1040},
		IDs:    []uint16{1, 2, 3, 0},
		Rules:  []cfi.Rule{{}, entry, pushed, framed},
	}
	for _, addr := range []uint64{0xfff, 0x1000, 0x1002, 0x1010, 0x1040} {
		r, ok := t.Lookup(addr)
		fmt.Printf("%#x: %v (%v)\n", addr, r, ok)
	}
	// Output:
	// 0xfff: none (false)
	// 0x1000: rsp+8 rbp=s ra=c-8 (true)
	// 0x1002: rsp+16 rbp=c-16 ra=c-8 (true)
	// 0x1010: rbp+16 rbp=c-16 ra=c-8 (true)
	// 0x1040: none (false)
}
