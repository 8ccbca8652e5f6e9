package cfi

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that any bytes, read as an .eh_frame or a
// .debug_frame, give a table or an error wrapping ErrMalformed, never a
// panic or a hang, and that a table given is well formed. The seeds are
// the hand-written section, the bad inputs of TestMalformed and the
// start of real sections.
func FuzzParse(f *testing.F) {
	f.Add(validSection(), true)
	var s sectionBuilder
	c := s.cie(4, "zPLRS", []byte{0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x1b, 0x1b}, standardCIE)
	s.fde(c, 0x1000, 0x40, []byte{cfaRememberState, cfaAdvanceLoc | 2, cfaDefCFAExpression, 2, 0x77, 8, cfaRestoreState, cfaGNUArgsSize, 8})
	f.Add(s.b, true)
	for _, path := range []string{"/usr/bin/xz", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		secs, err := frameSections(openELF(f, path), []string{".eh_frame", ".debug_frame"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(secs[0].data[:min(len(secs[0].data), 4096)], true)
	}
	f.Fuzz(func(t *testing.T, data []byte, eh bool) {
		s := &frameSection{data: data, eh: eh, bases: bases{section: 0x1000, text: 0x1000, data: 0x2000}}
		fdes, err := s.entries(nil)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		tab, err := buildTable(fdes)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for i := 1; i < len(tab.Starts); i++ {
			if tab.Starts[i] <= tab.Starts[i-1] || tab.IDs[i] == tab.IDs[i-1] || int(tab.IDs[i]) >= len(tab.Rules) {
				t.Fatalf("entries %d and %d: %#x=%d, %#x=%d", i-1, i, tab.Starts[i-1], tab.IDs[i-1], tab.Starts[i], tab.IDs[i])
			}
		}
	})
}
