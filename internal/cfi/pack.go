package cfi

import (
	"errors"
	"fmt"
	"math"
)

// The packed form of a Table, for a BPF array of 64-bit values: a header
// word, then each rule in two words, then each entry (row) in one word.
//
//	word 0                 rows | rules<<32
//	words 1 .. 2*rules     the rules, two words each (see PackRule)
//	the words after them   one per entry: start<<16 | rule id
//
// An entry is 8 bytes, its address included: the start address in the
// high 48 bits, the rule id in the low 16. Comparing an entry with
// addr<<16 | 0xffff therefore bisects the entries without unpacking them.
// Rules are few (hundreds per binary, against tens of thousands of entries),
// so they take 16 bytes each, which keeps every field whole: packing is
// lossless for every Rule. What an unwinder cannot evaluate stays a kind
// of its own rather than being dropped (CFAExpression, SaveExpression,
// SaveValExpression, and CFAOtherRegister past the first frame): the eBPF
// unwinder walks such a frame by its frame pointer and counts it.
//
// The one thing that cannot be packed is a start address at or above
// 2^48, which no x86-64 ELF file uses: Pack and PackWords refuse it with
// ErrUnpackable, and the file is left to frame pointers.
const (
	// PackedHeaderWords is the number of words before the rules.
	PackedHeaderWords = 1
	// PackedRuleWords is the number of words of a packed rule.
	PackedRuleWords = 2
	// MaxPackedAddress is the highest start address an entry can hold.
	MaxPackedAddress = 1<<48 - 1
)

// ErrUnpackable reports a Table that has no packed form: a start address
// above MaxPackedAddress, or more entries than a 32-bit count holds.
var ErrUnpackable = errors.New("unwind table cannot be packed")

// PackedWords is the length of the packed form of t.
func (t *Table) PackedWords() int {
	return PackedHeaderWords + PackedRuleWords*len(t.Rules) + len(t.Starts)
}

// Pack returns the packed form of t, described above.
func (t *Table) Pack() ([]uint64, error) {
	words := make([]uint64, t.PackedWords())
	if err := t.PackWords(words, 0); err != nil {
		return nil, err
	}
	return words, nil
}

// PackWords writes words first to first+len(dst)-1 of the packed form of
// t into dst, so that a large table can be packed a chunk at a time.
func (t *Table) PackWords(dst []uint64, first int) error {
	if len(t.Starts) > math.MaxUint32 || len(t.Starts) != len(t.IDs) {
		return fmt.Errorf("%w: %d entries, %d ids", ErrUnpackable, len(t.Starts), len(t.IDs))
	}
	if first < 0 || first+len(dst) > t.PackedWords() {
		return fmt.Errorf("cfi: words %d to %d of a packed table of %d", first, first+len(dst), t.PackedWords())
	}
	base := PackedHeaderWords + PackedRuleWords*len(t.Rules)
	for i := range dst {
		w := first + i
		switch {
		case w == 0:
			dst[i] = uint64(len(t.Starts)) | uint64(len(t.Rules))<<32
		case w < base:
			r := (w - PackedHeaderWords) / PackedRuleWords
			dst[i] = PackRule(t.Rules[r])[(w-PackedHeaderWords)%PackedRuleWords]
		default:
			e := w - base
			if t.Starts[e] > MaxPackedAddress {
				return fmt.Errorf("%w: entry at %#x, above %#x", ErrUnpackable, t.Starts[e], uint64(MaxPackedAddress))
			}
			dst[i] = t.Starts[e]<<16 | uint64(t.IDs[e])
		}
	}
	return nil
}

// signalFlag marks a signal frame in a packed rule's CFA kind byte.
const signalFlag = 0x80

// PackRule returns the two words of a packed rule. Read as a C struct on
// a little-endian machine they are
//
//	struct rule {
//		__s32 cfa_offset;
//		__u8  cfa;        // CFAKind, | 0x80 for a signal frame
//		__u8  cfa_aux;    // CFAReg for CFAOtherRegister, else PLTThreshold
//		__u8  ra, rbp;    // SaveKind of the return address and of rbp
//		__s32 ra_offset, rbp_offset;
//	};
func PackRule(r Rule) [PackedRuleWords]uint64 {
	kind := uint64(r.CFA)
	if r.Signal {
		kind |= signalFlag
	}
	aux := r.PLTThreshold
	if r.CFA == CFAOtherRegister {
		aux = r.CFAReg
	}
	return [PackedRuleWords]uint64{
		uint64(uint32(r.CFAOffset)) | kind<<32 | uint64(aux)<<40 | uint64(r.RA.Kind)<<48 | uint64(r.RBP.Kind)<<56,
		uint64(uint32(r.RA.Offset)) | uint64(uint32(r.RBP.Offset))<<32,
	}
}

// UnpackRule is the inverse of PackRule.
func UnpackRule(w [PackedRuleWords]uint64) Rule {
	kind := byte(w[0] >> 32)
	aux := byte(w[0] >> 40)
	r := Rule{
		CFA:       CFAKind(kind &^ signalFlag),
		Signal:    kind&signalFlag != 0,
		CFAOffset: int32(uint32(w[0])),
		RA:        Save{Kind: SaveKind(w[0] >> 48), Offset: int32(uint32(w[1]))},
		RBP:       Save{Kind: SaveKind(w[0] >> 56), Offset: int32(uint32(w[1] >> 32))},
	}
	if r.CFA == CFAOtherRegister {
		r.CFAReg = aux
	} else {
		r.PLTThreshold = aux
	}
	return r
}

// Unpack is the inverse of Pack. The error wraps ErrMalformed when the
// words are not a packed table: a header that counts more words than
// there are, a rule id past the rules, entries out of order.
func Unpack(words []uint64) (*Table, error) {
	if len(words) < PackedHeaderWords {
		return nil, fmt.Errorf("%w: packed table of %d words", ErrMalformed, len(words))
	}
	rows, rules := words[0]&math.MaxUint32, words[0]>>32
	if want := PackedHeaderWords + PackedRuleWords*rules + rows; want != uint64(len(words)) {
		return nil, fmt.Errorf("%w: packed table of %d words, its header counts %d rules and %d entries", ErrMalformed, len(words), rules, rows)
	}
	t := &Table{Rules: make([]Rule, rules), Starts: make([]uint64, rows), IDs: make([]uint16, rows)}
	for i := range t.Rules {
		at := PackedHeaderWords + PackedRuleWords*i
		t.Rules[i] = UnpackRule([PackedRuleWords]uint64{words[at], words[at+1]})
	}
	base := PackedHeaderWords + PackedRuleWords*int(rules)
	for i := range t.Starts {
		w := words[base+i]
		t.Starts[i], t.IDs[i] = w>>16, uint16(w)
		if int(t.IDs[i]) >= len(t.Rules) {
			return nil, fmt.Errorf("%w: packed entry %d names rule %d of %d", ErrMalformed, i, t.IDs[i], len(t.Rules))
		}
		if i > 0 && t.Starts[i] <= t.Starts[i-1] {
			return nil, fmt.Errorf("%w: packed entry %d at %#x after %#x", ErrMalformed, i, t.Starts[i], t.Starts[i-1])
		}
	}
	return t, nil
}
