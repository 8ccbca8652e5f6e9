package flamegraph

import (
	"bytes"
	"io"
	"testing"
)

// TestParseRenderAllocatesPerChunk checks that parsing and rendering the
// shape of bench/collapse-render's 200m input (about 5,000 stacks and
// 60,000 frames) allocates a few times per chunk of input and per kind of
// object, not per line or per frame: Parse shares its read buffers among
// the stacks, the order check and the tree need no string a line, and the
// tree keeps only the frames drawn. (Before: an allocation a line in
// Parse, another in Render.)
func TestParseRenderAllocatesPerChunk(t *testing.T) {
	var text bytes.Buffer
	if _, err := benchProfile200m().WriteTo(&text); err != nil {
		t.Fatal(err)
	}
	var p *Profile
	parse := testing.AllocsPerRun(5, func() {
		var err error
		if p, err = Parse(bytes.NewReader(text.Bytes())); err != nil {
			t.Fatal(err)
		}
	})
	render := testing.AllocsPerRun(5, func() {
		if err := Render(io.Discard, p, Options{}); err != nil {
			t.Fatal(err)
		}
	})
	if lines := len(p.Stacks); parse > 100 || render > 200 {
		t.Errorf("%d lines: Parse allocates %v times, Render %v times; want at most 100 and 200", lines, parse, render)
	}
}
