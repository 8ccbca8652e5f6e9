package cfi

import (
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestPackLibc packs libc's table and unpacks it: every entry and rule
// comes back as it was, an entry takes 8 bytes, and bisecting the packed
// entries the way the eBPF unwinder does (an entry against addr<<16 |
// 0xffff) finds the rule Lookup finds, at each entry's first and last
// address.
func TestPackLibc(t *testing.T) {
	const path = "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, path, "apt-get install libc6")
	tab, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	words, err := tab.Pack()
	if err != nil {
		t.Fatal(err)
	}
	if len(words) != tab.PackedWords() || len(words) != 1+2*len(tab.Rules)+len(tab.Starts) {
		t.Fatalf("%d words for %d rules and %d entries", len(words), len(tab.Rules), len(tab.Starts))
	}
	back, err := Unpack(words)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, tab) {
		for i := range min(len(back.Rules), len(tab.Rules)) {
			if back.Rules[i] != tab.Rules[i] {
				t.Errorf("rule %d: %+v unpacked as %+v", i, tab.Rules[i], back.Rules[i])
			}
		}
		t.Fatalf("the unpacked table differs: %d/%d entries, %d/%d rules", len(back.Starts), len(tab.Starts), len(back.Rules), len(tab.Rules))
	}
	rows := words[1+2*len(tab.Rules):]
	for i, start := range tab.Starts {
		end := start
		if i+1 < len(tab.Starts) {
			end = tab.Starts[i+1] - 1
		}
		for _, addr := range []uint64{start, end} {
			want, _ := tab.Lookup(addr)
			j := sort.Search(len(rows), func(j int) bool { return rows[j] > addr<<16|0xffff }) - 1
			if got := back.Rules[uint16(rows[j])]; j != i || got != want {
				t.Fatalf("packed entry %d for %#x (entry %d): %v, want %v", j, addr, i, got, want)
			}
		}
	}
	t.Logf("%s: %d entries, %d rules: %d bytes packed (%d for the table)", path, len(tab.Starts), len(tab.Rules), 8*len(words), tab.Bytes())
}

// TestPackRuleKinds packs a rule of every kind with offsets at the ends
// of their ranges.
func TestPackRuleKinds(t *testing.T) {
	rules := []Rule{
		{},
		{CFA: CFARSP, CFAOffset: 8, RA: Save{SaveAtCFA, -8}},
		{CFA: CFARSP, CFAOffset: 1<<31 - 1, RA: Save{SaveAtCFA, -8}, RBP: Save{SaveAtCFA, -1 << 31}},
		{CFA: CFARBP, CFAOffset: -1 << 31, RA: Save{SaveUndefined, 0}, RBP: Save{SaveIsCFA, 16}},
		{CFA: CFAPLT, CFAOffset: 8, PLTThreshold: 11, RA: Save{SaveAtCFA, -8}},
		{CFA: CFADerefRSP, CFAOffset: 160, Signal: true, RA: Save{SaveAtRSP, 168}, RBP: Save{SaveAtRSP, 120}},
		{CFA: CFAOtherRegister, CFAReg: 10, CFAOffset: -8, RA: Save{SaveInRegister, 5}, RBP: Save{SaveValExpression, 0}},
		{CFA: CFAExpression, RA: Save{SaveExpression, 0}},
	}
	for _, r := range rules {
		if got := UnpackRule(PackRule(r)); got != r {
			t.Errorf("%v (%+v) unpacked as %+v", r, r, got)
		}
	}
}

// TestPackErrors checks the tables Pack refuses and the words Unpack
// refuses.
func TestPackErrors(t *testing.T) {
	far := &Table{Starts: []uint64{MaxPackedAddress + 1}, IDs: []uint16{0}, Rules: []Rule{{}}}
	if _, err := far.Pack(); !errors.Is(err, ErrUnpackable) {
		t.Errorf("an entry at %#x packed: %v", far.Starts[0], err)
	}
	ok := &Table{Starts: []uint64{0x1000, 0x1010}, IDs: []uint16{1, 0}, Rules: []Rule{{}, {CFA: CFARSP, CFAOffset: 8, RA: Save{SaveAtCFA, -8}}}}
	words, err := ok.Pack()
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string][]uint64{
		"empty":        nil,
		"short":        words[:len(words)-1],
		"long":         append(append([]uint64{}, words...), 0),
		"bad rule id":  append(append([]uint64{}, words[:len(words)-1]...), 0x1010<<16|2),
		"out of order": append(append([]uint64{}, words[:len(words)-1]...), 0x1000<<16),
	}
	for name, w := range bad {
		if _, err := Unpack(w); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Unpack gave %v, want ErrMalformed", name, err)
		}
	}
}

// FuzzUnpack checks that any words give a table that packs back to the
// same words, or an error wrapping ErrMalformed, never a panic.
func FuzzUnpack(f *testing.F) {
	ok := &Table{Starts: []uint64{0x1000, 0x1010}, IDs: []uint16{1, 0}, Rules: []Rule{{}, {CFA: CFAPLT, CFAOffset: 8, PLTThreshold: 11, RA: Save{SaveAtCFA, -8}}}}
	words, err := ok.Pack()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wordBytes(words))
	f.Add(wordBytes(words[:3]))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		words := make([]uint64, len(b)/8)
		for i := range words {
			for j := range 8 {
				words[i] |= uint64(b[8*i+j]) << (8 * j)
			}
		}
		tab, err := Unpack(words)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := tab.Pack()
		if err != nil {
			t.Fatal(err)
		}
		for i := range tab.Rules {
			if UnpackRule(PackRule(tab.Rules[i])) != tab.Rules[i] {
				t.Fatalf("rule %d does not survive packing", i)
			}
		}
		if len(again) != len(words) {
			t.Fatalf("%d words packed back as %d", len(words), len(again))
		}
	})
}

// wordBytes is words in little-endian bytes.
func wordBytes(words []uint64) []byte {
	var b []byte
	for _, w := range words {
		for j := range 8 {
			b = append(b, byte(w>>(8*j)))
		}
	}
	return b
}

// TestPackWordsChunks packs libc's table in chunks of every size from 1
// to 7 words and a large one, and compares them with Pack's words.
func TestPackWordsChunks(t *testing.T) {
	const path = "/lib/x86_64-linux-gnu/libc.so.6"
	testenv.RequireFile(t, path, "apt-get install libc6")
	tab, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := tab.Pack()
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 2, 3, 7, 4096} {
		buf := make([]uint64, size)
		for first := 0; first < len(whole); first += size {
			chunk := buf[:min(size, len(whole)-first)]
			if err := tab.PackWords(chunk, first); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(chunk, whole[first:first+len(chunk)]) {
				t.Fatalf("chunk of %d words at %d differs", size, first)
			}
		}
	}
	if err := tab.PackWords(make([]uint64, 2), len(whole)-1); err == nil {
		t.Error("PackWords past the end gave no error")
	}
}
