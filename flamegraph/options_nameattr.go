package flamegraph

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// NameAttrs maps function names, annotation included, to the attributes
// of their frames (Options.NameAttrs).
type NameAttrs map[string]Attributes

// Attributes are the SVG attributes of one function's frames: "title"
// replaces the tooltip, "href" (with "target", default "_top") makes the
// frame a link, and any other key becomes an attribute of the frame's
// element. Keys that are not plain XML names, event handlers ("on...") and
// the frame's own data-x and data-w are ignored.
type Attributes map[string]string

// of returns the attributes of the frames of name. Most graphs have no
// NameAttrs: a nil map is tested first, sparing a lookup a frame.
func (m NameAttrs) of(name string) Attributes {
	if m == nil {
		return nil
	}
	return m[name]
}

// get returns the attribute k, and whether there is one.
func (a Attributes) get(k string) (string, bool) {
	if a == nil {
		return "", false
	}
	v, ok := a[k]
	return v, ok
}

// ReadNameAttrs reads a name-attribute file, flamegraph.pl's --nameattr:
// one function a line, its name, a tab, then tab-separated key=value pairs
// ("main\thref=https://example.com/main\ttitle=the entry point"). Blank lines
// are skipped; a line without a tab or a pair without '=' is an error. A
// name given twice gets the attributes of both lines.
func ReadNameAttrs(r io.Reader) (NameAttrs, error) {
	m := NameAttrs{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		name, rest, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("flamegraph: nameattr line %d: want name<TAB>key=value..., got %q", n, line)
		}
		attrs := m[name]
		if attrs == nil {
			attrs = Attributes{}
			m[name] = attrs
		}
		for _, pair := range strings.Split(rest, "\t") {
			k, v, ok := strings.Cut(pair, "=")
			if !ok {
				return nil, fmt.Errorf("flamegraph: nameattr line %d: attribute %q has no '='", n, pair)
			}
			attrs[k] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("flamegraph: reading nameattr: %w", err)
	}
	return m, nil
}

// validAttrName reports whether an attribute from a nameattr file may be
// written: a plain XML name that is not an event handler nor one of ours.
func validAttrName(k string) bool {
	if k == "" || k == "data-x" || k == "data-w" || strings.HasPrefix(strings.ToLower(k), "on") {
		return false
	}
	for i, c := range k {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':')) {
			return false
		}
	}
	return true
}
