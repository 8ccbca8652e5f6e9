package main

import (
	"fmt"
	"io"

	"github.com/flamekit/flamekit/flamegraph"
)

func runRender(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", "[flamegraph.pl flags] [--format F] [-o FILE] [FILE...]", stderr)
	var opts flamegraph.Options
	opts.RegisterFlags(fs)
	var in inputFlags
	in.register(fs)
	out := fs.String("o", "", "write the SVG to `FILE` (default stdout)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	w, err := openOutput(*out, stdout)
	if err != nil {
		return err
	}
	p, err := in.read(files, stdin, stderr)
	if err == nil {
		err = render(w, stderr, p, opts)
	}
	return w.finish(err)
}

// render draws p as an SVG flame graph into w and says on stderr what the
// graph left out. An empty profile still produces the SVG that says so, and
// an error.
func render(w io.Writer, stderr io.Writer, p *flamegraph.Profile, opts flamegraph.Options) error {
	var st flamegraph.RenderStats
	opts.Stats = &st
	err := flamegraph.Render(w, p, opts)
	if st.CutStacks > 0 {
		fmt.Fprintf(stderr, "flamekit: %d stack(s) deeper than %d frames (the deepest has %d) are drawn cut, topped by %q; draw more with --max-depth\n",
			st.CutStacks, st.MaxDepth, st.Deepest, flamegraph.CutFrame)
	}
	return err
}
