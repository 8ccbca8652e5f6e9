package cfi

import (
	"fmt"
	"slices"
	"testing"
)

// TestBuildTableMerges checks how buildTable joins FDEs that real
// binaries rarely make it join: an FDE starting inside another cuts it
// short; of two starting at the same address, the first given (.eh_frame
// before .debug_frame) wins; adjacent equal rules merge across FDEs; gaps
// get the rule of no rule; discarded FDEs (address 0) are left out.
func TestBuildTableMerges(t *testing.T) {
	at := func(off int32) Rule { return Rule{CFA: CFARSP, CFAOffset: off, RA: Save{SaveAtCFA, -8}} }
	fdes := []fdeRows{
		{fde: fde{begin: 0x1000, end: 0x1100}, rows: []row{{0x1000, at(8)}, {0x1001, at(16)}, {0x1080, at(24)}}},
		// Starts inside the first, at 0x1040, so cuts it there: its
		// row at 0x1080 never shows.
		{fde: fde{begin: 0x1040, end: 0x1060}, rows: []row{{0x1040, at(32)}}},
		// The same function in .debug_frame: the .eh_frame one wins.
		{fde: fde{begin: 0x1040, end: 0x1060}, rows: []row{{0x1040, at(40)}}},
		// Adjacent to the one before and with its rule at its start:
		// one entry.
		{fde: fde{begin: 0x1060, end: 0x1070}, rows: []row{{0x1060, at(32)}}},
		// After a gap.
		{fde: fde{begin: 0x2000, end: 0x2010}, rows: []row{{0x2000, at(8)}}},
		// Discarded by the linker, and empty.
		{fde: fde{begin: 0, end: 0x10}, rows: []row{{0, at(8)}}},
		{fde: fde{begin: 0x3000, end: 0x3000}, rows: []row{{0x3000, at(8)}}},
	}
	tab, err := buildTable(fdes)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, s := range tab.Starts {
		got = append(got, fmtEntry(s, tab.Rules[tab.IDs[i]]))
	}
	want := []string{
		fmtEntry(0x1000, at(8)),
		fmtEntry(0x1001, at(16)),
		fmtEntry(0x1040, at(32)),
		fmtEntry(0x1070, Rule{}),
		fmtEntry(0x2000, at(8)),
		fmtEntry(0x2010, Rule{}),
	}
	if !slices.Equal(got, want) {
		t.Errorf("table\n%q\nwant\n%q", got, want)
	}
	if len(tab.Rules) != 4 {
		t.Errorf("%d rules, want none and rsp+8, +16, +32: %v", len(tab.Rules), tab.Rules)
	}
}

// fmtEntry is a table entry, for messages.
func fmtEntry(addr uint64, r Rule) string { return fmt.Sprintf("%#x: %v", addr, r) }
