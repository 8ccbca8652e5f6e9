package addrgen

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// libcTable reads libc.so.6's functions.
func libcTable(t *testing.T) *Table {
	t.Helper()
	const libc = "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, libc, "apt-get install libc6")
	ef, err := elf.Open(libc)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	tab, err := Functions(ef, false)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestAddresses checks the addresses made in libc: the counts asked for,
// each inside its function (about StartFrac of them at its start), the
// random ones inside .text, and the same list again for the same seed.
func TestAddresses(t *testing.T) {
	tab := libcTable(t)
	o := Options{Syms: 20000, Random: 2000, StartFrac: 0.1, Seed: 7}
	addrs, err := tab.Addresses(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != o.Syms+o.Random {
		t.Fatalf("%d addresses, want %d", len(addrs), o.Syms+o.Random)
	}
	inFunc, atStart, randomFirst := 0, 0, -1
	for i, a := range addrs {
		if a.Func == nil {
			if a.Addr < tab.TextStart || a.Addr >= tab.TextEnd {
				t.Fatalf("random address %#x outside .text [%#x,%#x)", a.Addr, tab.TextStart, tab.TextEnd)
			}
			if randomFirst < 0 {
				randomFirst = i
			}
			continue
		}
		inFunc++
		if a.Addr < a.Func.Start || a.Addr >= a.Func.Start+a.Func.Size {
			t.Fatalf("%#x outside %s [%#x,+%d)", a.Addr, a.Func.Name, a.Func.Start, a.Func.Size)
		}
		if a.Addr == a.Func.Start {
			atStart++
		}
	}
	if inFunc != o.Syms {
		t.Errorf("%d addresses in functions, want %d", inFunc, o.Syms)
	}
	// 10% exactly, plus the offsets that happen to be 0 (small functions).
	if atStart < o.Syms*8/100 || atStart > o.Syms*16/100 {
		t.Errorf("%d of %d addresses at a function's start, want about 10%%", atStart, o.Syms)
	}
	if randomFirst > o.Syms/2 {
		t.Errorf("the first random address is at %d: not shuffled", randomFirst)
	}
	again, _ := tab.Addresses(o)
	if !slices.Equal(addrs, again) {
		t.Error("the same seed made a different list")
	}
	o.Seed++
	if other, _ := tab.Addresses(o); slices.Equal(addrs, other) {
		t.Error("another seed made the same list")
	}
}

// TestAddressesNoFunctions checks the error for a table without functions.
func TestAddressesNoFunctions(t *testing.T) {
	tab := &Table{TextStart: 0x1000, TextEnd: 0x2000}
	if _, err := tab.Addresses(Options{Syms: 1}); !errors.Is(err, ErrNoFunctions) {
		t.Errorf("got %v, want ErrNoFunctions", err)
	}
	addrs, err := tab.Addresses(Options{Random: 5})
	if err != nil || len(addrs) != 5 {
		t.Errorf("random only: %d addresses, %v", len(addrs), err)
	}
}

// TestWrite checks the address list and the truth file for aliases and
// random addresses.
func TestWrite(t *testing.T) {
	tab := &Table{TextStart: 0x1000, TextEnd: 0x2000, Funcs: []Func{
		{Start: 0x1100, Size: 16, Name: "_ZN1SC2Ev"}, {Start: 0x1100, Size: 16, Name: "_ZN1SC1Ev"},
	}}
	tab.link()
	addrs := []Addr{{Addr: 0x1104, Func: &tab.Funcs[0]}, {Addr: 0x1f00}}
	var list, truth bytes.Buffer
	if err := WriteAddrs(&list, addrs); err != nil {
		t.Fatal(err)
	}
	if err := WriteTruth(&truth, addrs); err != nil {
		t.Fatal(err)
	}
	if got, want := list.String(), "0x1104\n0x1f00\n"; got != want {
		t.Errorf("addresses %q, want %q", got, want)
	}
	want := fmt.Sprintf("0x1104\t1100\t16\t%s\n0x1f00\t-\t-\t-\n", strings.Join([]string{"_ZN1SC1Ev", "_ZN1SC2Ev"}, "\t"))
	if truth.String() != want {
		t.Errorf("truth %q, want %q", truth.String(), want)
	}
}
