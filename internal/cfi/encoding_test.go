package cfi

import (
	"errors"
	"testing"
)

// TestPointerEncodings reads a pointer of each format and relation, at
// offset 4 of a section at 0x10000 with .text at 0x20000 and .got at
// 0x30000, whose memory holds 0xabcdef at 0x10008.
func TestPointerEncodings(t *testing.T) {
	b := &bases{section: 0x10000, text: 0x20000, data: 0x30000, memory: func(addr uint64) (uint64, bool) {
		return 0xabcdef, addr == 0x10008
	}}
	for _, c := range []struct {
		name string
		enc  uint8
		data []byte
		want uint64
	}{
		{"absptr", peAbsptr, []byte{8, 7, 6, 5, 4, 3, 2, 1}, 0x0102030405060708},
		{"udata2", peUdata2, []byte{0xff, 0xff}, 0xffff},
		{"sdata2", peSdata2, []byte{0xfe, 0xff}, ^uint64(1)},
		{"udata4", peUdata4, []byte{0xff, 0xff, 0xff, 0xff}, 0xffffffff},
		{"uleb128", peULEB128, []byte{0xe5, 0x8e, 0x26}, 624485},
		{"sleb128", peSLEB128, []byte{0xc0, 0xbb, 0x78}, ^uint64(123456 - 1)},
		{"pcrel sdata4", pePCRel | peSdata4, []byte{0xfc, 0xff, 0xff, 0xff}, 0x10000},
		{"textrel udata4", peTextRel | peUdata4, []byte{0x10, 0, 0, 0}, 0x20010},
		{"datarel sdata4", peDataRel | peSdata4, []byte{0xf0, 0xff, 0xff, 0xff}, 0x2fff0},
		{"indirect pcrel sdata4", peIndirect | pePCRel | peSdata4, []byte{4, 0, 0, 0}, 0xabcdef},
	} {
		r := &reader{b: append([]byte{0, 0, 0, 0}, c.data...), off: 4}
		if got := r.pointer(c.enc, b, true); got != c.want || r.err != nil || r.off != len(r.b) {
			t.Errorf("%s: %#x (%v, %d bytes left), want %#x", c.name, got, r.err, len(r.b)-r.off, c.want)
		}
	}
	for _, c := range []struct {
		name string
		enc  uint8
		b    *bases
	}{
		{"format 7", 0x07, b},
		{"funcrel", 0x40 | peSdata4, b},
		{"textrel without .text", peTextRel | peSdata4, &bases{}},
		{"datarel without .got", peDataRel | peSdata4, &bases{}},
		{"indirect without memory", peIndirect | peSdata4, &bases{}},
		{"indirect outside the file", peIndirect | peUdata4, b},
	} {
		r := &reader{b: []byte{0, 0, 0, 0, 0, 0, 0, 0}}
		if r.pointer(c.enc, c.b, true); !errors.Is(r.err, ErrMalformed) {
			t.Errorf("%s: error %v, want ErrMalformed", c.name, r.err)
		}
	}
}

// TestFDEPointerDatarel checks an FDE whose CIE says its pointers are
// datarel: its range starts at the .got's address plus the value.
func TestFDEPointerDatarel(t *testing.T) {
	var s sectionBuilder
	c := s.cie(3, "zR", []byte{peDataRel | peSdata4}, standardCIE)
	body := []byte{0, 0, 0, 0}
	at := len(s.b) + 4
	body[0] = byte(at - c)
	body = append(body, 0x00, 0x10, 0, 0, 0x20, 0, 0, 0, 0) // 0x1000, 0x20 long
	s.entry(body)
	tab, err := parseEH(s.b)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := tab.Lookup(0x2000 + 0x1000); !ok || r.CFAOffset != 8 {
		t.Errorf("Lookup(.got+0x1000) = %v, %v", r, ok)
	}
	if _, ok := tab.Lookup(0x1000); ok {
		t.Errorf("Lookup(0x1000) found a rule: the pointer was read as absolute")
	}
}
