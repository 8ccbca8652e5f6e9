package flamegraph

import (
	"bytes"
	"encoding/xml"
	"errors"
	"maps"
	"strings"
	"testing"
)

func TestReadPaletteMapRoundTrip(t *testing.T) {
	p, err := ReadPaletteMap(bytes.NewReader(readTestdata(t, "palette.map")))
	if err != nil {
		t.Fatal(err)
	}
	if p["operator->"] != (Color{0, 0, 0}) || p[""] != (Color{255, 255, 255}) || p["work"] != (Color{1, 2, 3}) {
		t.Errorf("palette %v", p)
	}
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := "->rgb(255,255,255)\nmain->rgb(220,120,10)\noperator->->rgb(0,0,0)\nwork->rgb(1,2,3)\n"
	if b.String() != want {
		t.Errorf("written:\n%s", b.String())
	}
	for _, bad := range []string{"x", "x->rgb(1,2)", "x->rgb(1,2,300)", "x->#123456", "x->rgb(1,2,3"} {
		if _, err := ReadPaletteMap(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestReadNameAttrs(t *testing.T) {
	m, err := ReadNameAttrs(bytes.NewReader(readTestdata(t, "attrs.nameattr")))
	if err != nil {
		t.Fatal(err)
	}
	if m["main"]["title"] != "the entry point" || m["work"]["target"] != "_blank" || len(m) != 2 {
		t.Errorf("attributes %v", m)
	}
	for _, bad := range []string{"no tab here", "f\tnoequals"} {
		if _, err := ReadNameAttrs(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzReadPaletteMap(f *testing.F) {
	f.Add(readTestdata(f, "palette.map"))
	f.Add([]byte("a->rgb(1,2,3)\r\n\nb->rgb( 4, 5 ,6)"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPaletteMap(bytes.NewReader(data))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if _, err := p.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		q, err := ReadPaletteMap(&b)
		if err != nil {
			t.Fatalf("reading back %q: %v", b.String(), err)
		}
		if !maps.Equal(p, q) {
			// Names with line breaks or trailing CRs cannot round trip.
			for name := range p {
				if strings.ContainsAny(name, "\r\n") {
					return
				}
			}
			t.Fatalf("round trip: %v != %v", p, q)
		}
	})
}

// FuzzReadNameAttrs checks that whatever a nameattr file holds, the SVG stays
// well-formed and has no script but ours.
func FuzzReadNameAttrs(f *testing.F) {
	f.Add(readTestdata(f, "attrs.nameattr"))
	f.Add([]byte("main\tonclick=x\tx\"y=1\thref=\"><script>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		attrs, err := ReadNameAttrs(bytes.NewReader(data))
		if err != nil {
			return
		}
		var in strings.Builder
		for name := range attrs {
			if name = strings.TrimSpace(name); name != "" && !strings.ContainsAny(name, ";\r\n") {
				in.WriteString("main;" + name + " 1\n")
			}
		}
		in.WriteString("main 1\n")
		checkWellFormed(t, in.String(), Options{NameAttrs: attrs})
	})
}

// FuzzRender renders arbitrary folded input and options text, inverted and
// reversed, or with stacks cut at a depth of 3.
func FuzzRender(f *testing.F) {
	f.Add([]byte(readTestdata(f, "basic.folded")), "title", false)
	f.Add([]byte(readTestdata(f, "diff.folded")), "<&>", true)
	f.Add([]byte("a;;b 1\n;x 0.5\n\xff;\x01 3\n"), "--", false)
	f.Add([]byte("a;b;c;d;e 1\na;b;c;;; 2\n;;;; 3\n"), "cut", false)
	f.Fuzz(func(t *testing.T, data []byte, text string, inverted bool) {
		o := Options{Title: text, Notes: text, Subtitle: text, CountName: text,
			NameType: text, Inverted: inverted, Reverse: inverted, MinWidth: "0"}
		if !inverted {
			o.MaxDepth = 3
		}
		checkWellFormed(t, string(data), o)
	})
}

func checkWellFormed(t *testing.T, folded string, o Options) {
	t.Helper()
	p, err := Parse(strings.NewReader(folded))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Render(&b, p, o); err != nil && !errors.Is(err, ErrEmpty) {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&b)
	scripts := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("SVG not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local == "script" {
				scripts++
			}
			for _, a := range se.Attr {
				if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Fatalf("event handler attribute %v", a)
				}
			}
		}
	}
	if scripts > 1 {
		t.Fatalf("%d script elements", scripts)
	}
}

// FuzzParsePaletteAndBackground checks that a name either is refused or
// names a value whose String parses back to it, and that a graph with an
// accepted background stays well-formed.
func FuzzParsePaletteAndBackground(f *testing.F) {
	for _, seed := range []string{"hot", "java", "orange", "neon", "", "grey", "gray", "#AbCdEf", "#12345g", "\"/><script>"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if p, err := ParsePalette(name); err == nil {
			if p.String() != name || !p.valid() {
				t.Fatalf("ParsePalette(%q) = %v", name, p)
			}
		} else if !strings.HasPrefix(err.Error(), "flamegraph: unknown palette ") {
			t.Fatalf("ParsePalette(%q): %v", name, err)
		}
		b, err := ParseBackground(name)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "flamegraph: unknown bgcolors ") {
				t.Fatalf("ParseBackground(%q): %v", name, err)
			}
			return
		}
		if again, err := ParseBackground(b.String()); err != nil || again != b {
			t.Fatalf("ParseBackground(%q) = %q, parsed back %q, %v", name, b, again, err)
		}
		checkWellFormed(t, "main;work 1\n", Options{BgColors: b})
	})
}
