package cfi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// parseEH parses data as an .eh_frame at address 0 and builds its table.
func parseEH(data []byte) (*Table, error) {
	s := &frameSection{data: data, eh: true, bases: bases{text: 0x1000, data: 0x2000}}
	fdes, err := s.entries(nil)
	if err != nil {
		return nil, err
	}
	return buildTable(fdes)
}

// TestValidSection checks the hand-written section the bad inputs are
// made from: three rules, and none past the function's end.
func TestValidSection(t *testing.T) {
	tab, err := parseEH(validSection())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr uint64
		want string
	}{
		{0x1000, "rsp+8 rbp=s ra=c-8"},
		{0x1001, "rsp+16 rbp=c-16 ra=c-8"},
		{0x1003, "rsp+16 rbp=c-16 ra=c-8"},
		{0x1004, "rbp+16 rbp=c-16 ra=c-8"},
		{0x1014, "rsp+8 rbp=c-16 ra=c-8"},
		{0x101f, "rsp+8 rbp=c-16 ra=c-8"},
		{0x1020, "none"},
		{0xfff, "none"},
	} {
		r, ok := tab.Lookup(c.addr)
		if r.String() != c.want || ok != (c.want != "none") {
			t.Errorf("Lookup(%#x) = %v, %v; want %s", c.addr, r, ok, c.want)
		}
	}
}

// TestMalformed checks that each kind of bad input is an error wrapping
// ErrMalformed that says what is wrong, and never a panic.
func TestMalformed(t *testing.T) {
	valid := validSection()
	withFDE := func(ins []byte) []byte {
		var s sectionBuilder
		c := s.cie(1, "zR", []byte{0x1b}, standardCIE)
		s.fde(c, 0x1000, 0x20, ins)
		return s.b
	}
	withCIE := func(version byte, aug string, augData []byte) []byte {
		var s sectionBuilder
		c := s.cie(version, aug, augData, standardCIE)
		s.fde(c, 0x1000, 0x20, nil)
		return s.b
	}
	remember := bytes.Repeat([]byte{cfaRememberState}, maxRememberDepth+1)
	for _, c := range []struct {
		name, data, want string
	}{
		{"truncated entry", string(valid[:len(valid)-9]), "past the section's end"},
		{"truncated length", string(valid[:2]), "bytes wanted"},
		{"version 2", string(withCIE(2, "zR", []byte{0x1b})), "version 2"},
		{"unknown augmentation", string(withCIE(1, "eh", nil)), `augmentation "eh"`},
		{"bad FDE encoding", string(withCIE(1, "zR", []byte{0x07})), "FDE pointer encoding 0x7"},
		{"bad personality encoding", string(withCIE(1, "zP", []byte{0x0f})), "personality encoding"},
		{"augmentation data cut", string(withCIE(1, "zRP", []byte{0x1b, 0x9b})), "bytes wanted"},
		{"unknown opcode", string(withFDE([]byte{0x20})), "unknown opcode"},
		{"restore_state alone", string(withFDE([]byte{cfaRestoreState})), "nothing remembered"},
		{"remember_state too deep", string(withFDE(remember)), "nested"},
		{"set_loc relative", string(withFDE([]byte{cfaSetLoc, 0, 0, 0, 0})), "set_loc"},
		{"instruction cut", string(withFDE([]byte{cfaDefCFA, 7})), "bytes wanted"},
		{"LEB128 too wide", string(withFDE([]byte{cfaDefCFAOffset, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})), "wider than 64 bits"},
		{"CIE pointer outside", string(func() []byte { b := withFDE(nil); b[len(b)-10] = 0x7f; return b }()), "CIE pointer"},
		{"CIE pointer at an FDE", string(func() []byte {
			var s sectionBuilder
			c := s.cie(1, "zR", []byte{0x1b}, standardCIE)
			f := s.fde(c, 0x1000, 0x20, nil)
			s.fde(f, 0x1000, 0x20, nil)
			return s.b
		}()), "not a CIE"},
		{"range wraps", string(func() []byte {
			var s sectionBuilder
			c := s.cie(1, "zR", []byte{0x1b}, standardCIE)
			s.fde(c, 0xfffffff0, 0x100, nil)
			return s.b
		}()), "wraps"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseEH([]byte(c.data))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v, want one wrapping ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// TestExtendedLength checks entries with the 64-bit length escape: in
// .eh_frame the CIE pointer after it stays 4 bytes.
func TestExtendedLength(t *testing.T) {
	var s sectionBuilder
	c := s.cie(1, "zR", []byte{0x1b}, standardCIE)
	var short sectionBuilder
	short.b = append(short.b, s.b...)
	short.fde(c, 0x1000, 0x20, []byte{cfaAdvanceLoc | 1, cfaDefCFAOffset, 16})
	fde := short.b[len(s.b)+4:] // the FDE's body after its 4-byte length
	// Rewrite the FDE with an extended length: its CIE pointer, counted
	// from where it sits, grows by the 8 extra bytes before it, and so
	// does its pcrel start's distance.
	body := append([]byte{}, fde...)
	binary.LittleEndian.PutUint32(body, binary.LittleEndian.Uint32(body)+8)
	binary.LittleEndian.PutUint32(body[4:], binary.LittleEndian.Uint32(body[4:])-8)
	s.b = append(s.b, 0xff, 0xff, 0xff, 0xff)
	s.b = binary.LittleEndian.AppendUint64(s.b, uint64(len(body)))
	s.b = append(s.b, body...)
	tab, err := parseEH(s.b)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := tab.Lookup(0x1001); !ok || r.CFAOffset != 16 {
		t.Errorf("Lookup(0x1001) = %v, %v; want rsp+16", r, ok)
	}
}
