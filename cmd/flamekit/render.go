package main

import (
	"errors"
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
	p, err := in.read(files, stdin, stderr)
	if err != nil {
		return err
	}
	return renderTo(*out, stdout, stderr, p, opts)
}

// renderTo renders p into the -o file or stdout, and says on stderr what
// the graph left out. An empty profile still produces the SVG that says so,
// and an error.
func renderTo(out string, stdout, stderr io.Writer, p *flamegraph.Profile, opts flamegraph.Options) error {
	w, closeOut, err := createOutput(out, stdout)
	if err != nil {
		return err
	}
	var st flamegraph.RenderStats
	opts.Stats = &st
	rerr := flamegraph.Render(w, p, opts)
	warnCut(stderr, st)
	return errors.Join(rerr, closeOut())
}

// warnCut reports stacks that a flame graph drew cut at its depth bound.
func warnCut(stderr io.Writer, st flamegraph.RenderStats) {
	if st.CutStacks > 0 {
		fmt.Fprintf(stderr, "flamekit: %d stack(s) deeper than %d frames (the deepest has %d) are drawn cut, topped by %q; draw more with --max-depth\n",
			st.CutStacks, st.MaxDepth, st.Deepest, flamegraph.CutFrame)
	}
}
