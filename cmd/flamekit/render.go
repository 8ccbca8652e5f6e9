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
	return renderTo(*out, stdout, p, opts)
}

// renderTo renders p into the -o file or stdout. An empty profile still
// produces the SVG that says so, and an error.
func renderTo(out string, stdout io.Writer, p *flamegraph.Profile, opts flamegraph.Options) error {
	w, closeOut, err := createOutput(out, stdout)
	if err != nil {
		return err
	}
	rerr := flamegraph.Render(w, p, opts)
	return errors.Join(rerr, closeOut())
}
