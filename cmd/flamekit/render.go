package main

import "io"

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
