package main

import (
	"fmt"
	"io"

	"github.com/flamekit/flamekit/flamegraph"
)

func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("diff", "[--normalize] [--strip-hex] [--negate] [--folded] [flamegraph.pl flags] [-o FILE] BEFORE AFTER", stderr)
	var diff flamegraph.DiffOptions
	fs.BoolVar(&diff.Normalize, "normalize", false, "scale BEFORE's counts so both profiles have the same total (difffolded.pl -n)")
	fs.BoolVar(&diff.StripHex, "strip-hex", false, "replace hex addresses in frames with 0x... so they match (difffolded.pl -s)")
	folded := fs.Bool("folded", false, "print the differential folded stacks (difffolded.pl's output) instead of an SVG")
	var graph graphFlags
	graph.register(fs)
	var in inputFlags
	in.register(fs)
	out := fs.String("o", "", "write the output to `FILE` (default stdout)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := graph.check(); err != nil {
		return err
	}
	if len(files) != 2 {
		return fmt.Errorf("%w: need two profiles, BEFORE and AFTER (got %d)", errUsage, len(files))
	}
	if files[0] == "-" && files[1] == "-" {
		return fmt.Errorf("%w: only one of BEFORE and AFTER can be stdin", errUsage)
	}
	w, err := openOutput(*out, stdout)
	if err != nil {
		return err
	}
	before, err := in.read(files[:1], stdin, stderr)
	if err != nil {
		return w.finish(err)
	}
	after, err := in.read(files[1:], stdin, stderr)
	if err != nil {
		return w.finish(err)
	}
	d := flamegraph.Diff(before, after, diff)
	if !*folded {
		return w.finish(graph.render(w, stderr, d))
	}
	_, err = d.WriteTo(w)
	return w.finish(err)
}
