// Command scope-bench prints what `flamekit scope` prints for one file, the
// heat map JSON or a range's folded stacks, through package scope's public
// API only, for bench/scope-vs-flamescope to time while the CLI lacks the
// command.
//
// Usage:
//
//	go run ./internal/cmd/scope-bench FILE                 # heat map JSON
//	go run ./internal/cmd/scope-bench --range S,E FILE     # folded stacks
//
// --rows sets the heat map's rows, --idle counts idle samples, --index
// reads the whole profile and indexes it (the page's path) instead of the
// one-shot readers, and --memprofile writes a heap profile at the end.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/flamekit/flamekit/scope"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "scope-bench:", err)
		}
		os.Exit(2)
	}
}

// run parses the arguments and writes the heat map or the range.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scope-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rangeFlag := fs.String("range", "", "print the folded stacks of `S,E` instead of the heat map")
	rows := fs.Int("rows", 0, "heat map rows (0: scope.DefaultRows)")
	idle := fs.Bool("idle", false, "count idle samples")
	index := fs.Bool("index", false, "read the whole profile and index it, as a page does")
	memprofile := fs.String("memprofile", "", "write a heap profile to `FILE` at the end")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("one FILE, got %d arguments", fs.NArg())
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	opts := scope.Options{Rows: *rows, Idle: *idle}
	out := bufio.NewWriter(stdout)
	if *rangeFlag == "" {
		err = heatMap(out, f, opts, *index)
	} else {
		err = foldedRange(out, f, *rangeFlag, opts, *index)
	}
	if err != nil {
		return err
	}
	if *memprofile != "" {
		if err := writeHeapProfile(*memprofile); err != nil {
			return err
		}
	}
	return out.Flush()
}

// heatMap writes the heat map JSON of f.
func heatMap(w io.Writer, f *os.File, opts scope.Options, index bool) error {
	var (
		h   *scope.HeatMap
		err error
	)
	if index {
		ix, err := readIndex(f, opts)
		if err != nil {
			return err
		}
		h = ix.HeatMap()
	} else if h, _, err = scope.ReadHeatMap(f, scope.ReadOptions{}, opts); err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(h)
}

// foldedRange writes the folded stacks of the range spec of f.
func foldedRange(w io.Writer, f *os.File, spec string, opts scope.Options, index bool) error {
	rg, err := scope.ParseRange(spec)
	if err != nil {
		return err
	}
	if index {
		ix, err := readIndex(f, opts)
		if err != nil {
			return err
		}
		p, err := ix.Range(rg)
		if err != nil {
			return err
		}
		_, err = p.WriteTo(w)
		return err
	}
	_, err = scope.WriteRangeFolded(w, f, rg, scope.ReadOptions{}, opts)
	return err
}

// readIndex reads and indexes f.
func readIndex(f *os.File, opts scope.Options) (*scope.Index, error) {
	p, _, err := scope.Read(f, scope.ReadOptions{})
	if err != nil {
		return nil, err
	}
	return scope.NewIndex(p, opts)
}

// writeHeapProfile writes the heap profile of what is in use now.
func writeHeapProfile(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
