package flamegraph

import (
	"strings"
	"testing"
)

// FrameColors gives every frame the fill Render gives it: by palette, by
// annotation, from a palette map, and from Random's sequence in drawing
// order.
func TestFrameColorsAreRenders(t *testing.T) {
	const folded = "java;Lcom/x/Y:::run_[j];java/lang/Thread:::run;do_syscall_64_[k] 5\n" +
		"java;main;-;sleep 3\n" +
		"perl;Perl_pp_entersub;main::f;read_[k] 4\n" +
		"node;LazyCompile:*work /app/x.js:1_[j];v8::internal::Run;__GI___libc_write 7\n"
	full := map[string]string{} // the names Render shows, to their frames'
	for _, line := range strings.Split(strings.TrimSpace(folded), "\n") {
		stack := line[:strings.LastIndexByte(line, ' ')]
		for _, f := range strings.Split(stack, ";") {
			full[f[:len(f)-annotationLen(f)]] = f
		}
	}
	for _, o := range []Options{
		{},
		{Colors: PaletteJava},
		{Colors: PalettePerl, Hash: true},
		{Colors: PaletteJS, Random: true},
		{PaletteMap: PaletteMap{"main": {1, 2, 3}}},
	} {
		var mapCopy PaletteMap // Render adds to the map
		if o.PaletteMap != nil {
			mapCopy = PaletteMap{}
			for k, v := range o.PaletteMap {
				mapCopy[k] = v
			}
		}
		_, frames := parseSVG(t, render(t, folded, o))
		o.PaletteMap = mapCopy
		color, err := FrameColors(o)
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range frames {
			name := f.title[:strings.LastIndex(f.title, " (")]
			if i == 0 {
				name = "" // the root
			}
			if _, ok := full[name]; !ok && i > 0 {
				t.Fatalf("frame %q is not in the input", name)
			}
			if got := normFill(color(full[name]).Hex()); got != f.fill {
				t.Errorf("%+v: frame %q: FrameColors gives %s, Render %s", o, name, got, f.fill)
			}
		}
	}
	if _, err := FrameColors(Options{Random: true, Hash: true}); err == nil {
		t.Error("FrameColors takes Random and Hash together")
	}
}
