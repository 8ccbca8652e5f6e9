package flamegraph

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/golden"
)

// svgNode is a generic XML element, for inspecting rendered SVGs.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Comment string     `xml:",comment"`
	Nodes   []svgNode  `xml:",any"`
}

func (n *svgNode) attr(local string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

func (n *svgNode) hasAttr(local string) bool {
	for _, a := range n.Attrs {
		if a.Name.Local == local {
			return true
		}
	}
	return false
}

// byID finds the element with the given id, depth first.
func (n *svgNode) byID(id string) *svgNode {
	if n.attr("id") == id {
		return n
	}
	for i := range n.Nodes {
		if f := n.Nodes[i].byID(id); f != nil {
			return f
		}
	}
	return nil
}

func (n *svgNode) child(local string) *svgNode {
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == local {
			return &n.Nodes[i]
		}
	}
	return nil
}

// count returns how many elements named local the tree holds.
func (n *svgNode) count(local string) int {
	c := 0
	if n.XMLName.Local == local {
		c++
	}
	for i := range n.Nodes {
		c += n.Nodes[i].count(local)
	}
	return c
}

// drawn is one frame as an SVG shows it.
type drawn struct {
	node       *svgNode
	title      string
	x, y, w, h float64
	fill       string // "rgb(r,g,b)"
	label      string
	dataX      float64 // data-x and data-w: offset and width in counts
	dataW      float64
}

// parseSVG decodes an SVG strictly and returns its tree and its frames.
func parseSVG(t testing.TB, data []byte) (*svgNode, []drawn) {
	t.Helper()
	var root svgNode
	d := xml.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&root); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v", err)
	}
	frames := root.byID("frames")
	if frames == nil {
		return &root, nil
	}
	var out []drawn
	for i := range frames.Nodes {
		g := &frames.Nodes[i]
		r := g.child("rect")
		if r == nil {
			t.Fatalf("frame %d has no rect", i)
		}
		f := drawn{node: g, fill: normFill(r.attr("fill"))}
		if ti := g.child("title"); ti != nil {
			f.title = ti.Text
		}
		if tx := g.child("text"); tx != nil {
			f.label = tx.Text
		}
		f.x, _ = strconv.ParseFloat(r.attr("x"), 64)
		f.y, _ = strconv.ParseFloat(r.attr("y"), 64)
		f.w, _ = strconv.ParseFloat(r.attr("width"), 64)
		f.h, _ = strconv.ParseFloat(r.attr("height"), 64)
		f.dataX, _ = strconv.ParseFloat(g.attr("data-x"), 64)
		f.dataW, _ = strconv.ParseFloat(g.attr("data-w"), 64)
		out = append(out, f)
	}
	return &root, out
}

// normFill writes "#rrggbb" as "rgb(r,g,b)".
func normFill(s string) string {
	if len(s) == 7 && s[0] == '#' {
		v, err := strconv.ParseUint(s[1:], 16, 32)
		if err == nil {
			return fmt.Sprintf("rgb(%d,%d,%d)", v>>16, v>>8&255, v&255)
		}
	}
	return s
}

// facts are the frames of an SVG as sorted text lines, comparable between
// flamegraph.pl's output and ours.
func facts(frames []drawn) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = fmt.Sprintf("%g\t%g\t%g\t%g\t%s\t%q\t%q", f.x, f.y, f.w, f.h, f.fill, f.title, f.label)
	}
	slices.Sort(out)
	return out
}

// render renders folded text with options, failing the test on error.
func render(t testing.TB, folded string, o Options) []byte {
	t.Helper()
	p, err := Parse(strings.NewReader(folded))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Render(&b, p, o); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.Bytes()
}

// frameByTitle returns the frames whose tooltip starts with name + " (".
func frameByTitle(frames []drawn, name string) []drawn {
	var out []drawn
	for _, f := range frames {
		if strings.HasPrefix(f.title, name+" (") {
			out = append(out, f)
		}
	}
	return out
}

func one(t testing.TB, frames []drawn, name string) drawn {
	t.Helper()
	fs := frameByTitle(frames, name)
	if len(fs) != 1 {
		t.Fatalf("want one frame %q, got %d", name, len(fs))
	}
	return fs[0]
}

// readTestdata reads a file from testdata, decompressing .gz files.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	return golden.Read(t, filepath.Join("testdata", name))
}
