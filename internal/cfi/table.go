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

// fdeRows is one FDE and its rows: given (rows), or made by running its
// program when they are needed (section set). buildTable makes them one
// FDE at a time: the rows of all FDEs at once are many times the table
// they make (80 MiB for gcc's cc1, whose table is 4 MiB), and a
// continuous profiler builds tables while it runs.
type fdeRows struct {
	fde
	rows    []row
	section *frameSection
}

// make returns the FDE's rows: those given, or those its program makes,
// in buf, which the next call reuses.
func (f *fdeRows) make(buf *programBuffers) ([]row, error) {
	if f.section == nil {
		return f.rows, nil
	}
	rows, err := f.fde.rows(&f.section.bases, buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.section.name(), err)
	}
	return rows, nil
}

// tombstone reports whether an FDE describes code the linker discarded:
// in a .debug_frame its address is left 0, or set to -1 or -2.
func tombstone(begin uint64) bool { return begin == 0 || begin >= math.MaxUint64-1 }

// buildTable merges the rows of the FDEs, in order of preference where two
// start at the same address, into a Table. An FDE that starts inside
// another cuts it short. The rows of one FDE at a time are held, in
// buffers they share; every FDE's program is run, those of FDEs left out
// too, so that a malformed one is an error wherever it is. fdes is
// reordered.
func buildTable(fdes []fdeRows) (*Table, error) {
	hint := entriesHint(fdes)
	var buf programBuffers
	kept := fdes[:0]
	for i := range fdes {
		f := &fdes[i]
		if !tombstone(f.begin) && f.begin < f.end {
			kept = append(kept, *f)
			continue
		}
		if _, err := f.make(&buf); err != nil {
			return nil, err
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
	t := &Table{Starts: make([]uint64, 0, hint), IDs: make([]uint16, 0, hint), Rules: []Rule{{}}}
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
	for i := range kept {
		f := &kept[i]
		rows, err := f.make(&buf)
		if err != nil {
			return nil, err
		}
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
		for _, r := range rows {
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
	// The table is kept while it is in use: not with the spare capacity
	// of its growth.
	if cap(t.Starts) > len(t.Starts)+len(t.Starts)/8 {
		t.Starts, t.IDs = slices.Clone(t.Starts), slices.Clone(t.IDs)
	}
	return t, nil
}

// entriesHint is the number of entries a table of fdes likely has, its
// slices' first capacity: growing them by appends alone allocates five
// times their final size. Compilers' .eh_frame sections make one entry
// per 4.6 to 7.7 bytes, ends of FDEs included (cc1, libLLVM, node, libjvm,
// libc, perl, python, chromium); given rows make one each, and their FDE
// its end.
func entriesHint(fdes []fdeRows) int {
	n := 0
	var last *frameSection
	for i := range fdes {
		switch f := &fdes[i]; {
		case f.section == nil:
			n += len(f.rows) + 1
		case f.section != last:
			last = f.section
			n += len(f.section.data) / 5
		}
	}
	return n
}
