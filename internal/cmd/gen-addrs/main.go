// Command gen-addrs makes a repeatable list of instruction addresses in an
// ELF file for symbolizer benchmarks and tests, and the truth of which
// function holds each.
//
// Usage:
//
//	go run ./internal/cmd/gen-addrs BIN [--syms N] [--random M] [--start-frac F]
//	    [--seed S] [--dynamic] [--truth FILE] > addrs.txt
//
// It prints one address a line ("0x..."), shuffled: --syms addresses inside
// function symbols of BIN (start plus a random offset below the size,
// --start-frac of them exactly at the start) and --random addresses drawn
// uniformly in .text (which may fall in padding). Functions are the sized
// symbols `nm --defined-only` types t, T or W inside .text, from .symtab, or
// from .dynsym with --dynamic or when .symtab has none. Addresses are
// link-time addresses, what `addr2line -e BIN` and `llvm-symbolizer
// --obj=BIN` expect.
//
// --truth FILE writes "addr<TAB>sym_start<TAB>size<TAB>name[<TAB>alias...]"
// for every address ("-" columns for the random ones); aliases are the other
// function symbols at the same start, any of which is a correct answer. The
// same seed, file and flags give the same output.
package main

import (
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/flamekit/flamekit/internal/addrgen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gen-addrs:", err)
		}
		os.Exit(2)
	}
}

// run parses the arguments (the binary may come before or after the flags)
// and writes the addresses to stdout.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-addrs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gen-addrs BIN [--syms N] [--random M] [--start-frac F] [--seed S] [--dynamic] [--truth FILE]")
		fs.PrintDefaults()
	}
	var o addrgen.Options
	fs.IntVar(&o.Syms, "syms", 100000, "addresses inside functions")
	fs.IntVar(&o.Random, "random", 10000, "random addresses in .text")
	fs.Float64Var(&o.StartFrac, "start-frac", 0.1, "share of --syms exactly at a function's start")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed")
	dynamic := fs.Bool("dynamic", false, "read .dynsym instead of .symtab")
	truth := fs.String("truth", "", "write the addr/sym_start/size/name/aliases TSV here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no binary given")
	}
	bin := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("one binary at a time (also got %q)", fs.Args())
	}
	ef, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	defer ef.Close()
	tab, err := addrgen.Functions(ef, *dynamic)
	if err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	addrs, err := tab.Addresses(o)
	if err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	if err := addrgen.WriteAddrs(stdout, addrs); err != nil {
		return err
	}
	if *truth != "" {
		f, err := os.Create(*truth)
		if err != nil {
			return err
		}
		if err := addrgen.WriteTruth(f, addrs); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "gen-addrs: %d function symbols in .text [%#x,%#x); wrote %d addresses\n",
		len(tab.Funcs), tab.TextStart, tab.TextEnd, len(addrs))
	return nil
}
