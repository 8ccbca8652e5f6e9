package demangle

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRust checks that AppendRust never panics and keeps its promises on
// any input: dst is only appended to, the text stays within its limit, a
// name Full style demangles demangles in Short style to no more text, and
// a suffix after a v0 or legacy name changes nothing.
func FuzzRust(f *testing.F) {
	for _, n := range rustNames(f) {
		f.Add(n.mangled)
	}
	for _, c := range rustConstructs {
		f.Add(c.name)
	}
	for _, h := range rustHostile() {
		if len(h.name) < 1024 {
			f.Add(h.name)
		}
	}
	f.Add(doublingRust(5, true))
	f.Fuzz(func(t *testing.T, name string) {
		texts := map[Style]string{}
		for _, st := range styles {
			text, ok := rustText(t, name, st)
			if len(text) > maxRustText {
				t.Errorf("%v %q: %d bytes of text", st, name, len(text))
			}
			if ok {
				texts[st] = text
			}
		}
		full, fullOK := texts[Full]
		short, shortOK := texts[Short]
		if fullOK && (!shortOK || len(short) > len(full)) {
			t.Errorf("%q: Full %q, Short %q (%v)", name, full, short, shortOK)
		}
		if !fullOK || strings.Contains(name, ".") || !(strings.HasPrefix(name, "_R") || strings.HasSuffix(name, "E")) {
			return
		}
		suffixed, ok := AppendRust(nil, name+".llvm.123", Full)
		if !ok || !bytes.Equal(suffixed, []byte(full)) {
			t.Errorf("%q: %q, but with a suffix %q (%v)", name, full, suffixed, ok)
		}
	})
}
