package cfi

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"unsafe"
)

// Table is the unwind rules of one ELF file, by address: Starts is sorted,
// and the rule for an address a is Rules[IDs[i]] for the last i with
// Starts[i] <= a. Rules[0] is the rule of no rule (CFANone): gaps between
// FDEs, and the end of the last one. Adjacent entries never share a rule,
// and each distinct Rule appears once in Rules, so the three slices can be
// copied as they are into BPF maps (an array of starts searched by
// bisection, a parallel array of ids, and an array of rules).
//
// Addresses are the file's own (link-time virtual addresses); a process's
// address is turned into one by subtracting its mapping's load bias.
type Table struct {
	Starts []uint64
	IDs    []uint16
	Rules  []Rule
}

// Lookup returns the rule for the address, and false when no FDE covers
// it.
func (t *Table) Lookup(addr uint64) (Rule, bool) {
	i := sort.Search(len(t.Starts), func(i int) bool { return t.Starts[i] > addr }) - 1
	if i < 0 {
		return Rule{}, false
	}
	r := t.Rules[t.IDs[i]]
	return r, r.CFA != CFANone
}

// Bytes is the memory the table's three slices hold.
func (t *Table) Bytes() int {
	return len(t.Starts)*8 + len(t.IDs)*2 + len(t.Rules)*int(unsafe.Sizeof(Rule{}))
}

// fdeRows is one FDE's rows, with where it came from.
type fdeRows struct {
	offset     uint64 // in its section
	cieOffset  uint64
	begin, end uint64
	rows       []row
}

// tombstone reports whether an FDE describes code the linker discarded:
// in a .debug_frame its address is left 0, or set to -1 or -2.
func tombstone(begin uint64) bool { return begin == 0 || begin >= math.MaxUint64-1 }

// buildTable merges the rows of the FDEs, in order of preference where two
// start at the same address, into a Table. An FDE that starts inside
// another cuts it short.
func buildTable(fdes []fdeRows) (*Table, error) {
	kept := make([]fdeRows, 0, len(fdes))
	for _, f := range fdes {
		if !tombstone(f.begin) && f.begin < f.end && len(f.rows) > 0 {
			kept = append(kept, f)
		}
	}
	slices.SortStableFunc(kept, func(a, b fdeRows) int {
		switch {
		case a.begin < b.begin:
			return -1
		case a.begin > b.begin:
			return 1
		}
		return 0
	})
	t := &Table{Rules: []Rule{{}}}
	ids := map[Rule]uint16{{}: 0}
	add := func(start uint64, r Rule) error {
		id, ok := ids[r]
		if !ok {
			if len(t.Rules) > math.MaxUint16 {
				return fmt.Errorf("%w: more than %d distinct rules", ErrMalformed, math.MaxUint16)
			}
			id = uint16(len(t.Rules))
			ids[r] = id
			t.Rules = append(t.Rules, r)
		}
		n := len(t.Starts)
		if n > 0 && t.Starts[n-1] == start {
			// The previous entry is empty: replace it.
			t.Starts, t.IDs = t.Starts[:n-1], t.IDs[:n-1]
			n--
		}
		if n > 0 && t.IDs[n-1] == id {
			return nil
		}
		t.Starts = append(t.Starts, start)
		t.IDs = append(t.IDs, id)
		return nil
	}
	for i, f := range kept {
		if i > 0 && f.begin == kept[i-1].begin {
			continue // a duplicate, as .debug_frame repeats .eh_frame
		}
		end, next := f.end, i+1
		for next < len(kept) && kept[next].begin == f.begin {
			next++
		}
		if next < len(kept) && kept[next].begin < end {
			end = kept[next].begin
		}
		for _, r := range f.rows {
			if r.addr >= end {
				break
			}
			if err := add(r.addr, r.rule); err != nil {
				return nil, err
			}
		}
		if err := add(end, Rule{}); err != nil {
			return nil, err
		}
	}
	return t, nil
}
