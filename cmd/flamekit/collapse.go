package main

import (
	"io"
)

func runCollapse(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("collapse", "[--format perf|pprof|bpftrace|folded|auto] [--pid] [--tid] [--kernel] [--jit] [--all] [--addrs] [--event-filter EV] [-o FILE] [FILE...]", stderr)
	var in inputFlags
	in.register(fs)
	out := fs.String("o", "", "write the folded stacks to `FILE` (default stdout)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	w, err := openOutput(*out, stdout)
	if err != nil {
		return err
	}
	if len(files) <= 1 {
		// One input: its stacks go straight to the output.
		name := "-"
		if len(files) == 1 {
			name = files[0]
		}
		return w.finish(in.writeFolded(name, w, stdin, stderr))
	}
	p, err := in.read(files, stdin, stderr)
	if err == nil {
		_, err = p.WriteTo(w)
	}
	return w.finish(err)
}
