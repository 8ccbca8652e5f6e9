package main

import (
	"io"
	"runtime/debug"
)

// renderGCPercent is the collector's GOGC while render runs. Render keeps
// nearly all it allocates, the profile, to its end: at the default (100)
// the collector runs over a heap that only grows, once on a mapped real
// capture and three times on the same read from stdin, for nothing.
const renderGCPercent = 400

func runRender(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", "[flamegraph.pl flags] [--format F] [-o FILE] [FILE...]", stderr)
	var graph graphFlags
	graph.register(fs)
	var in inputFlags
	in.register(fs)
	out := fs.String("o", "", "write the SVG to `FILE` (default stdout)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := graph.check(); err != nil {
		return err
	}
	w, err := openOutput(*out, stdout)
	if err != nil {
		return err
	}
	defer debug.SetGCPercent(debug.SetGCPercent(renderGCPercent))
	in.mapped = &mappedFiles{}
	err = in.mapped.guardMapped(func() error {
		p, err := in.read(files, stdin, stderr)
		if err == nil {
			err = graph.render(w, stderr, p)
		}
		return err
	})
	return w.finish(err)
}
