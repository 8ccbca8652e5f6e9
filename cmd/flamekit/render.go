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
		err = flamegraph.Render(w, p, opts)
	}
	return w.finish(err)
}
