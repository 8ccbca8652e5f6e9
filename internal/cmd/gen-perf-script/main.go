// Command gen-perf-script writes a synthetic, realistic `perf script` text
// to stdout: a system-wide cpu-clock profile of JVMs (with perf-map JIT
// frames), a Go service, C++ servers (demangled and mangled names),
// CPython, Node.js, gcc's cc1, kworkers and the idle swapper, with kernel,
// [unknown] and [vdso] frames. See internal/perfgen for its shape.
//
// Usage:
//
//	go run ./internal/cmd/gen-perf-script N [--seed S] [--stacks K] [--zipf S]
//	    [--cpus C] [--freq HZ] [--event NAME] [--pid-tid] > perf.txt
//
// N is the number of samples (about 2.7 KB each: 3500 make ~10 MB). The
// same arguments give the same text.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/flamekit/flamekit/internal/perfgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gen-perf-script:", err)
		}
		os.Exit(2)
	}
}

// run parses the arguments (N may come before or after the flags) and
// writes the samples to stdout.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-perf-script", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gen-perf-script N [--seed S] [--stacks K] [--zipf S] [--cpus C] [--freq HZ] [--event NAME] [--pid-tid]")
		fs.PrintDefaults()
	}
	var o perfgen.Options
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed")
	fs.IntVar(&o.Stacks, "stacks", 4000, "distinct stacks to aim for over all thread roles")
	fs.Float64Var(&o.Zipf, "zipf", 1.1, "Zipf exponent of the stacks' weights")
	fs.IntVar(&o.CPUs, "cpus", 16, "CPUs the samples are spread over")
	fs.IntVar(&o.Freq, "freq", 999, "sampling frequency in Hz")
	fs.StringVar(&o.Event, "event", "cpu-clock", "event name in the headers")
	fs.BoolVar(&o.PIDTID, "pid-tid", false, "headers as `comm PID/TID` (perf script -F comm,pid,tid,...)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no sample count given")
	}
	n, err := strconv.Atoi(fs.Arg(0))
	if err != nil || n < 0 {
		return fmt.Errorf("bad sample count %q", fs.Arg(0))
	}
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.Samples = n
	return perfgen.Write(stdout, o)
}
