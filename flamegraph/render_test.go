package flamegraph

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestRenderGeometryAndTooltips(t *testing.T) {
	svg := render(t, "a;b 3\na;c 1\nd 1234567\n", Options{MinWidth: "0"})
	root, frames := parseSVG(t, svg)
	if got := root.attr("data-total"); got != "1234571" {
		t.Errorf("data-total = %q", got)
	}
	all := one(t, frames, "all")
	if all.title != "all (1,234,571 samples, 100%)" || all.x != 10 || all.w != 1180 {
		t.Errorf("root: %+v", all)
	}
	d := one(t, frames, "d")
	if d.title != "d (1,234,567 samples, 100.00%)" {
		t.Errorf("tooltip %q", d.title)
	}
	b := one(t, frames, "b")
	if b.title != "b (3 samples, 0.00%)" {
		t.Errorf("tooltip %q", b.title)
	}
	if got := b.node.attr("data-x") + "/" + b.node.attr("data-w"); got != "0/3" {
		t.Errorf("b data-x/data-w = %s", got)
	}
	c := one(t, frames, "c")
	if got := c.node.attr("data-x") + "/" + c.node.attr("data-w"); got != "3/1" {
		t.Errorf("c data-x/data-w = %s", got)
	}
	// a, b and c are under 0.004 px wide: the default minwidth, 0.1 px,
	// drops them.
	if _, pruned := parseSVG(t, render(t, "a;b 3\na;c 1\nd 1234567\n", Options{})); len(pruned) != 2 {
		t.Errorf("%d frames drawn, want all and d: %v", len(pruned), facts(pruned))
	}
	// Depth: children above their parent, one frame height apart.
	a := one(t, frames, "a")
	if a.y != all.y-16 || d.y != a.y {
		t.Errorf("rows: all %v, a %v, d %v", all.y, a.y, d.y)
	}
}

func TestRenderEscapesEverything(t *testing.T) {
	evil := []string{`<script>alert("x")</script>`, `a&b`, `]]>`, "bad\xff\xfeutf8", "ctrl\x01\x1fchar", `q"uo'te`}
	var in strings.Builder
	for i, name := range evil {
		fmt.Fprintf(&in, "main;%s %d\n", name, 10+i)
	}
	notes := `--><script>evil()</script><!-- a--b <x> -`
	svg := render(t, in.String(), Options{
		Title:    `T<&>"`,
		Subtitle: "S\xff]]>",
		Notes:    notes,
		NameType: `N"<`,
		NameAttrs: NameAttrs{evil[1]: {"title": `t"<>&`, "href": `javascript:"x"`, "class": `c" onload="x`,
			"onclick": "evil()", "bad name": "x"}},
	})
	root, frames := parseSVG(t, svg)
	if n := root.count("script"); n != 1 {
		t.Errorf("%d script elements, want only ours", n)
	}
	if !strings.Contains(root.Comment, "evil()") || strings.Contains(root.Comment, "--") || strings.ContainsAny(root.Comment, "<>") {
		t.Errorf("notes comment can break out: %q", root.Comment)
	}
	if got := root.byID("title").Text; got != `T<&>"` {
		t.Errorf("title %q", got)
	}
	if got := root.byID("subtitle").Text; got != "S\uFFFD]]>" {
		t.Errorf("subtitle %q", got)
	}
	if got := root.attr("data-nametype"); got != `N"<` {
		t.Errorf("nametype %q", got)
	}
	want := map[string]bool{
		`<script>alert("x")</script>`: true, "]]>": true, "bad\uFFFD\uFFFDutf8": true,
		"ctrl\uFFFD\uFFFDchar": true, `q"uo'te`: true,
	}
	for _, f := range frames {
		name, _, _ := strings.Cut(f.title, " (")
		delete(want, name)
		if f.title == `t"<>&` {
			if f.node.XMLName.Local != "a" || f.node.attr("href") != `javascript:"x"` || f.node.attr("class") != `c" onload="x` {
				t.Errorf("nameattr frame %+v", f.node)
			}
			if f.node.hasAttr("onclick") || f.node.hasAttr("onload") || f.node.attr("data-n") != "a&b" {
				t.Errorf("nameattr frame attributes %v", f.node.Attrs)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("frames missing or mangled: %v", want)
	}
	if bytes.Contains(svg, []byte("\xff")) || bytes.Contains(svg, []byte{1}) {
		t.Error("invalid bytes reached the SVG")
	}
}

func TestRenderLabels(t *testing.T) {
	// 1180 px / 7.08 px a character: 166 characters fit the root.
	long := strings.Repeat("é", 200)
	svg := render(t, long+";x_[k] 1\n", Options{})
	_, frames := parseSVG(t, svg)
	f := one(t, frames, long)
	if f.label != strings.Repeat("é", 164)+".." {
		t.Errorf("label %q (%d runes)", f.label, len([]rune(f.label)))
	}
	x := one(t, frames, "x")
	if x.label != "x" || x.title != "x (1 samples, 100.00%)" {
		t.Errorf("annotation not stripped: %+v", x)
	}
}

func TestRenderInvertedAndTitles(t *testing.T) {
	in := "a;b 1\n"
	for _, c := range []struct {
		o     Options
		title string
		up    bool // children above parents
	}{
		{Options{}, "Flame Graph", true},
		{Options{Inverted: true}, "Icicle Graph", false},
		{Options{FlameChart: true}, "Flame Chart", true},
		{Options{Inverted: true, Title: "Mine"}, "Mine", false},
	} {
		root, frames := parseSVG(t, render(t, in, c.o))
		if got := root.byID("title").Text; got != c.title {
			t.Errorf("%+v: title %q", c.o, got)
		}
		a, b := one(t, frames, "a"), one(t, frames, "b")
		if (b.y < a.y) != c.up {
			t.Errorf("%+v: a at y %v, b at %v", c.o, a.y, b.y)
		}
	}
}

func TestRenderFlameChartKeepsOrder(t *testing.T) {
	in := "m;b 1\nm;a 1\nm;a 1\nm;b 1\n"
	_, frames := parseSVG(t, render(t, in, Options{FlameChart: true}))
	var order []string
	for _, f := range frames {
		if name, _, _ := strings.Cut(f.title, " "); name == "a" || name == "b" {
			order = append(order, fmt.Sprintf("%s@%v", name, f.x))
		}
	}
	if got := strings.Join(order, " "); got != "b@10 a@305 b@895" {
		t.Errorf("flame chart order %s", got)
	}
	_, frames = parseSVG(t, render(t, in, Options{}))
	if len(frameByTitle(frames, "a")) != 1 || one(t, frames, "a").x != 10 {
		t.Errorf("flame graph should merge and sort: %v", facts(frames))
	}
}

func TestRenderReverse(t *testing.T) {
	_, frames := parseSVG(t, render(t, "a;b;c 2\nx;b;c 1\n", Options{Reverse: true}))
	c, b := one(t, frames, "c"), one(t, frames, "b")
	if c.w != 1180 || b.w != 1180 || b.y >= c.y {
		t.Errorf("reverse: c %+v b %+v", c, b)
	}
	if a := one(t, frames, "a"); a.y >= b.y {
		t.Errorf("reverse: a should be above b")
	}
}

func TestRenderMinWidth(t *testing.T) {
	var in strings.Builder
	for i := range 100 {
		fmt.Fprintf(&in, "root;f%02d %d\n", i, i+1) // widths 1..100 of 5050
	}
	count := func(o Options) int {
		_, frames := parseSVG(t, render(t, in.String(), o))
		return len(frames) - 2 // all and root
	}
	for _, c := range []struct {
		min  string
		want int
	}{
		{"", 100}, {"0", 100},
		{"10", 58},   // 1180*w/5050 >= 10 px: w >= 42.8
		{"1%", 50},   // w >= 50.5
		{"0.5%", 75}, // w >= 25.25
	} {
		if got := count(Options{MinWidth: c.min}); got != c.want {
			t.Errorf("minwidth %q: %d frames, want %d", c.min, got, c.want)
		}
	}
}

func TestRenderDifferential(t *testing.T) {
	in := "m;grew 10 30\nm;shrank 30 10\nm;same 5 5\n"
	_, frames := parseSVG(t, render(t, in, Options{}))
	grew, shrank, same := one(t, frames, "grew"), one(t, frames, "shrank"), one(t, frames, "same")
	if grew.fill != "rgb(255,0,0)" || shrank.fill != "rgb(0,0,255)" || same.fill != "rgb(255,255,255)" {
		t.Errorf("colours grew %s shrank %s same %s", grew.fill, shrank.fill, same.fill)
	}
	if grew.title != "grew (30 samples, 66.67%; +44.44%)" || shrank.title != "shrank (10 samples, 22.22%; -44.44%)" {
		t.Errorf("tooltips %q %q", grew.title, shrank.title)
	}
	_, frames = parseSVG(t, render(t, in, Options{Negate: true}))
	grew, shrank = one(t, frames, "grew"), one(t, frames, "shrank")
	if grew.fill != "rgb(0,0,255)" || shrank.fill != "rgb(255,0,0)" || !strings.HasSuffix(grew.title, "; -44.44%)") {
		t.Errorf("negated: grew %s %q, shrank %s", grew.fill, grew.title, shrank.fill)
	}
}

func TestRenderPalettesAndAnnotations(t *testing.T) {
	in := "m;k_[k];j_[j];i_[i];w_[w] 1\nm;-;-- 1\nm;java/lang/Thread.run 1\nm;std::sort 1\n"
	rgb := func(f drawn) (r, g, b int) {
		fmt.Sscanf(f.fill, "rgb(%d,%d,%d)", &r, &g, &b)
		return
	}
	_, frames := parseSVG(t, render(t, in, Options{Colors: PaletteJava}))
	checks := map[string]func(r, g, b int) bool{
		"k":                    func(r, g, b int) bool { return r >= 190 && g >= 90 && b == 0 },    // orange
		"j":                    func(r, g, b int) bool { return g >= 200 && r == b && r <= 110 },   // green
		"i":                    func(r, g, b int) bool { return r <= 110 && g >= 165 && g == b },   // aqua
		"java/lang/Thread.run": func(r, g, b int) bool { return g >= 200 && r == b },               // green
		"std::sort":            func(r, g, b int) bool { return r == g && b <= 70 },                // yellow
		"w":                    func(r, g, b int) bool { return r >= 200 && g == b },               // red
		"-":                    func(r, g, b int) bool { return r == 200 && g == 200 && b == 200 }, // separator
		"--":                   func(r, g, b int) bool { return r == 160 && g == 160 && b == 160 }, // separator
	}
	for name, ok := range checks {
		f := one(t, frames, name)
		if !ok(rgb(f)) {
			t.Errorf("java palette: %s is %s", name, f.fill)
		}
		if strings.Contains(f.title+f.label, "_[") {
			t.Errorf("annotation shown: %q %q", f.title, f.label)
		}
	}
	for _, p := range Palettes() {
		root, frames := parseSVG(t, render(t, in, Options{Colors: p}))
		if len(frames) == 0 || root.byID("frames") == nil {
			t.Errorf("palette %s drew nothing", p)
		}
	}
	_, frames = parseSVG(t, render(t, in, Options{Colors: PaletteChain}))
	if r, g, b := rgb(one(t, frames, "w")); !(r <= 110 && g == b && g >= 165) {
		t.Errorf("chain: waker w is %d,%d,%d, want aqua", r, g, b)
	}
}

func TestRenderBackgrounds(t *testing.T) {
	for _, c := range []struct {
		colors Palette
		bg     Background
		want   string
	}{
		{PaletteHot, Background{}, "#eeeeb0"}, {PaletteMem, Background{}, "#e0ffe0"}, {PaletteIO, Background{}, "#e0e0ff"},
		{PaletteRed, Background{}, "#e8e8e8"}, {PaletteHot, BackgroundBlue, "#e0e0ff"}, {PaletteHot, mustBackground(t, "#123456"), "#123456"},
	} {
		svg := render(t, "a 1\n", Options{Colors: c.colors, BgColors: c.bg})
		if !bytes.Contains(svg, []byte(`stop-color="`+c.want+`" offset="95%"`)) {
			t.Errorf("colors %s bgcolors %q: no %s", c.colors, c.bg, c.want)
		}
	}
}

func mustBackground(t *testing.T, name string) Background {
	t.Helper()
	b, err := ParseBackground(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRenderPaletteMap checks that a palette map's colours are used and
// the colours of new names added to it, as flamegraph.pl's --cp does with
// palette.map.
func TestRenderPaletteMap(t *testing.T) {
	pal := PaletteMap{"work": {9, 8, 7}}
	_, frames := parseSVG(t, render(t, "main;work 1\nmain;new_[k] 1\n", Options{PaletteMap: pal}))
	if f := one(t, frames, "work"); f.fill != "rgb(9,8,7)" {
		t.Errorf("palette colour not used: %s", f.fill)
	}
	if len(pal) != 4 || pal["work"] != (Color{9, 8, 7}) {
		t.Fatalf("palette map after rendering: %v", pal)
	}
	for name, want := range map[string]string{"": "all", "main": "main", "new_[k]": "new"} {
		col, ok := pal[name]
		if f := one(t, frames, want); !ok || f.fill != col.String() {
			t.Errorf("%q: drawn %s, added %v (%v)", name, f.fill, col, ok)
		}
	}
	// The colours added are those of the palette alone.
	_, plain := parseSVG(t, render(t, "main;work 1\nmain;new_[k] 1\n", Options{}))
	if a, b := one(t, frames, "main").fill, one(t, plain, "main").fill; a != b {
		t.Errorf("main is %s with a palette map, %s without", a, b)
	}
	// A differential graph colours by change and adds nothing.
	diffPal := PaletteMap{}
	render(t, "main;work 1 2\n", Options{PaletteMap: diffPal})
	if len(diffPal) != 0 {
		t.Errorf("differential graph added %v", diffPal)
	}
}

func TestRenderNameAttrs(t *testing.T) {
	attrs, err := ReadNameAttrs(strings.NewReader("work\thref=https://example.com/w?a=1&b=2\ttarget=_blank\tclass=hot\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, frames := parseSVG(t, render(t, "main;work 1\n", Options{NameAttrs: attrs}))
	w := one(t, frames, "work")
	if w.node.XMLName.Local != "a" || w.node.attr("href") != "https://example.com/w?a=1&b=2" ||
		w.node.attr("target") != "_blank" || w.node.attr("class") != "hot" {
		t.Errorf("link frame %+v", w.node)
	}
}

func renderErr(folded string, o Options) ([]byte, error) {
	p, err := Parse(strings.NewReader(folded))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = Render(&b, p, o)
	return b.Bytes(), err
}

func TestRenderSortByWeight(t *testing.T) {
	_, frames := parseSVG(t, render(t, "a;x 1\na;y 5\na;z 3\na 2\n", Options{SortByWeight: true}))
	x, y, z := one(t, frames, "x"), one(t, frames, "y"), one(t, frames, "z")
	if !(y.x == 10 && z.x > y.x && x.x > z.x) {
		t.Errorf("weight order: y %v z %v x %v", y.x, z.x, x.x)
	}
}

func TestRenderFactorAndTotal(t *testing.T) {
	_, frames := parseSVG(t, render(t, "a 10\n", Options{Factor: 2.5, Total: 100, CountName: "bytes"}))
	a, all := one(t, frames, "a"), one(t, frames, "all")
	if a.title != "a (25 bytes, 10.00%)" || a.w != 118 || all.w != 1180 || all.title != "all (250 bytes, 100%)" {
		t.Errorf("factor/total: a %+v all %+v", a, all)
	}
	_, frames = parseSVG(t, render(t, "a 10\n", Options{Total: 5})) // smaller than the sum: ignored
	if a := one(t, frames, "a"); a.w != 1180 {
		t.Errorf("total below the sum should be ignored: %+v", a)
	}
}

func TestRenderEmpty(t *testing.T) {
	for _, in := range []string{"", "junk\n", "a;b 0\n"} {
		svg, err := renderErr(in, Options{})
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("%q: error %v, want ErrEmpty", in, err)
		}
		root, _ := parseSVG(t, svg)
		if !strings.Contains(root.child("text").Text, "ERROR: No valid input provided to flamegraph") {
			t.Errorf("%q: error SVG %s", in, svg)
		}
	}
	var b bytes.Buffer
	if err := Render(&b, nil, Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("nil profile: %v", err)
	}
}

func TestRenderDeterministic(t *testing.T) {
	in := string(readTestdata(t, "real-all.folded.gz"))
	for _, o := range []Options{{}, {Random: true}, {Hash: true, Colors: PaletteJava, SortByWeight: true}} {
		a, b := render(t, in, o), render(t, in, o)
		if !bytes.Equal(a, b) {
			t.Errorf("%+v: two renders differ", o)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Colors: Palette(200)}, "unknown palette Palette(200)"},
		{Options{Width: -5}, "width"},
		{Options{Height: -1}, "height"},
		{Options{MinWidth: "abc"}, "minwidth"},
		{Options{MinWidth: "-1"}, "minwidth"},
		{Options{MinWidth: "1e3"}, "minwidth"},
		{Options{FontSize: math.NaN()}, "fontsize"},
		{Options{FontWidth: -1}, "fontwidth"},
		{Options{Factor: -2}, "factor"},
		{Options{Total: -2}, "total"},
		{Options{FontType: "x;}</style>"}, "fonttype"},
		{Options{Encoding: `utf-8" x="`}, "encoding"},
		{Options{SortByWeight: true, FlameChart: true}, "sort-by-weight"},
		{Options{Hash: true, Random: true}, "exclusive"},
	} {
		err := c.o.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one about %s", c.o, err, c.want)
		}
		if _, rerr := renderErr("a 1\n", c.o); rerr == nil {
			t.Errorf("%+v: Render accepted it", c.o)
		}
	}
	if err := (&Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
}

func TestParsePaletteAndBackground(t *testing.T) {
	for i, p := range Palettes() {
		q, err := ParsePalette(p.String())
		if err != nil || q != p || int(p) != i {
			t.Errorf("palette %d %v: parsed back %v, %v", i, p, q, err)
		}
	}
	if len(Palettes()) != 17 || Palette(0) != PaletteHot || PaletteOrange.String() != "orange" {
		t.Errorf("palettes %v", Palettes())
	}
	for _, bad := range []string{"neon", "", "Hot", " hot"} {
		if _, err := ParsePalette(bad); err == nil || !strings.Contains(err.Error(), "unknown palette") {
			t.Errorf("ParsePalette(%q): %v", bad, err)
		}
	}
	for name, want := range map[string]string{"yellow": "yellow", "blue": "blue", "green": "green", "grey": "grey",
		"gray": "grey", "#123456": "#123456", "#AbCdEf": "#AbCdEf"} {
		if b, err := ParseBackground(name); err != nil || b.String() != want {
			t.Errorf("ParseBackground(%q) = %q, %v", name, b, err)
		}
	}
	for _, bad := range []string{"pink", "", "#12345", "#1234567", "#12345g", "Yellow"} {
		if _, err := ParseBackground(bad); err == nil || !strings.Contains(err.Error(), "bgcolors") {
			t.Errorf("ParseBackground(%q): %v", bad, err)
		}
	}
	var p Palette
	var b Background
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&p, "colors", "palette")
	fs.Var(&b, "bgcolors", "background")
	if err := fs.Parse([]string{"--colors", "java", "--bgcolors", "gray"}); err != nil || p != PaletteJava || b != BackgroundGrey {
		t.Errorf("flags gave %v %v, %v", p, b, err)
	}
	if err := fs.Parse([]string{"--colors", "neon"}); err == nil || p != PaletteJava {
		t.Errorf("--colors neon: %v, palette now %v", err, p)
	}
	if err := fs.Parse([]string{"--bgcolors", "pink"}); err == nil || b != BackgroundGrey {
		t.Errorf("--bgcolors pink: %v, background now %v", err, b)
	}
}

func TestAppendFixedMatchesPrintf(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	values := []float64{0, 0.05, 0.15, 0.25, 0.35, 2.675, 1.005, 0.125, 1e15, 123456.78949999}
	for range 100000 {
		values = append(values, r.Float64()*2000, float64(r.IntN(1000000))/1000)
	}
	for _, v := range values {
		for _, prec := range []int{1, 2} {
			if got, want := string(appendFixed(nil, v, prec)), fmt.Sprintf("%.*f", prec, v); got != want {
				t.Fatalf("appendFixed(%v, %d) = %s, printf %s", v, prec, got, want)
			}
		}
	}
}

func TestScriptStaysInCDATA(t *testing.T) {
	if strings.Contains(script(), "]]>") {
		t.Fatal("the script would end its CDATA section")
	}
}

func TestRenderUnit(t *testing.T) {
	p, err := Parse(strings.NewReader("a;b 3000\na 1000\n"))
	if err != nil {
		t.Fatal(err)
	}
	p.Unit = "nanoseconds"
	var b bytes.Buffer
	if err := Render(&b, p, Options{}); err != nil {
		t.Fatal(err)
	}
	_, frames := parseSVG(t, b.Bytes())
	if a := one(t, frames, "a"); a.title != "a (4,000 nanoseconds, 100.00%)" {
		t.Errorf("the profile's unit is the count name: %q", a.title)
	}
	b.Reset()
	if err := Render(&b, p, Options{CountName: "ns"}); err != nil {
		t.Fatal(err)
	}
	_, frames = parseSVG(t, b.Bytes())
	if a := one(t, frames, "a"); a.title != "a (4,000 ns, 100.00%)" {
		t.Errorf("--countname wins over the profile's unit: %q", a.title)
	}
	m := Merge(p, &Profile{}, p)
	if m.Unit != "nanoseconds" || Merge(p, &Profile{Stacks: []Stack{{Frames: "x", Count: 1}}}).Unit != "" {
		t.Errorf("Merge keeps a unit only when the inputs agree")
	}
	if p.Folded().Unit != "nanoseconds" || Diff(p, p, DiffOptions{}).Unit != "nanoseconds" {
		t.Errorf("Folded and Diff keep the unit")
	}
}
