package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/flamekit/flamekit/symbolize"
)

// runSymbolize prints the frames of addresses in llvm-symbolizer's output
// styles, so it can stand in where tools run llvm-symbolizer (pprof runs
// `llvm-symbolizer --inlining -demangle=false --output-style=JSON` and writes
// "CODE FILE 0xADDR" lines).
func runSymbolize(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("symbolize", "(-e BINARY | -p PID | --kernel) [--inlines] [--demangle=false] [--output-style LLVM|JSON] [ADDR...]", stderr)
	var obj string
	fs.StringVar(&obj, "e", "", "the ELF `file` whose link-time addresses are given")
	fs.StringVar(&obj, "obj", "", "alias of -e (llvm-symbolizer's name)")
	fs.StringVar(&obj, "exe", "", "alias of -e")
	pid := fs.Int("p", 0, "symbolize runtime addresses of the process `PID`")
	kernel := fs.Bool("kernel", false, "symbolize kernel addresses (/proc/kallsyms)")
	var inlines bool
	fs.BoolVar(&inlines, "inlines", false, "file:line and inlined frames (DWARF, Go pclntab)")
	fs.BoolVar(&inlines, "inlining", false, "alias of --inlines (llvm-symbolizer's name)")
	fs.BoolVar(&inlines, "i", false, "alias of --inlines")
	demangle := fs.Bool("demangle", true, "demangle C++ and Rust names")
	short := fs.Bool("short", false, "short names: no parameters or template arguments")
	style := fs.String("output-style", "LLVM", "LLVM (plain: function, then file:line:column) or JSON")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	targets := 0
	for _, set := range []bool{obj != "", *pid != 0, *kernel} {
		if set {
			targets++
		}
	}
	if targets > 1 {
		return fmt.Errorf("%w: give only one of -e, -p and --kernel", errUsage)
	}
	jsonOut := strings.EqualFold(*style, "JSON")
	if !jsonOut && !strings.EqualFold(*style, "LLVM") && !strings.EqualFold(*style, "GNU") {
		return fmt.Errorf("%w: unknown --output-style %q (want LLVM or JSON)", errUsage, *style)
	}
	opts := symbolize.LookupOptions{Lines: inlines}
	switch {
	case !*demangle:
		opts.Names = symbolize.NamesRaw
	case *short:
		opts.Names = symbolize.NamesShort
	}

	s := symbolize.New(symbolize.Options{})
	defer s.Close()
	var proc *symbolize.Process
	if *pid != 0 {
		if proc, err = symbolize.SnapshotProcess(*pid); err != nil {
			return err
		}
		defer proc.Close()
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	// one answers one address; a bad address or file is answered as
	// llvm-symbolizer does ("??", or an Error in JSON) and returned.
	one := func(file, text string) error {
		addr, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(text, "0x"), "0X"), 16, 64)
		if err != nil {
			err = fmt.Errorf("bad address %q: want hexadecimal", text)
		}
		var frames [][]symbolize.Frame
		module := file
		switch {
		case err != nil:
		case file != "":
			frames, err = s.File(file, []uint64{addr}, symbolize.VirtualAddress, opts)
		case proc != nil:
			frames, err = s.Process(proc, []uint64{addr}, opts)
		case *kernel:
			module = symbolize.KernelPath
			frames, err = s.Kernel([]uint64{addr}, opts)
		default:
			return fmt.Errorf("%w: no binary for %s: give -e, -p or --kernel, or \"FILE ADDR\" lines", errUsage, text)
		}
		var got []symbolize.Frame
		if err == nil {
			got = frames[0]
		}
		if jsonOut {
			writeJSON(w, addr, module, got, err)
		} else {
			writePlain(w, got)
		}
		return err
	}
	if len(files) > 0 {
		var errs []error
		for _, a := range files {
			errs = append(errs, one(obj, a))
		}
		return errors.Join(errs...)
	}
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		// "[CODE|DATA] [FILE] ADDR", as llvm-symbolizer reads.
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && (fields[0] == "CODE" || fields[0] == "DATA") {
			fields = fields[1:]
		}
		file := obj
		switch len(fields) {
		case 0:
			continue
		case 1:
		default:
			file = strings.Join(fields[:len(fields)-1], " ")
		}
		if err := one(file, fields[len(fields)-1]); err != nil {
			if errors.Is(err, errUsage) {
				return err
			}
			// Like llvm-symbolizer, a bad line or file does not stop the rest.
			fmt.Fprintf(stderr, "flamekit symbolize: %v\n", err)
		}
		w.Flush() // a pipe partner waits for each answer
	}
	return sc.Err()
}

// writePlain prints frames as llvm-symbolizer does: the function, then
// file:line:column, for each frame innermost first; "??" when unknown; a
// blank line after each address.
func writePlain(w *bufio.Writer, frames []symbolize.Frame) {
	if len(frames) == 0 {
		frames = []symbolize.Frame{{}}
	}
	for _, f := range frames {
		name, file := f.Function, f.File
		if name == "" {
			name = "??"
		}
		if file == "" {
			file = "??"
		}
		fmt.Fprintf(w, "%s\n%s:%d:%d\n", name, file, f.Line, f.Column)
	}
	w.WriteByte('\n')
}

// jsonSymbol is one frame in llvm-symbolizer's JSON output.
type jsonSymbol struct {
	Column        int    `json:"Column"`
	Discriminator int    `json:"Discriminator"`
	FileName      string `json:"FileName"`
	FunctionName  string `json:"FunctionName"`
	Line          int    `json:"Line"`
	StartAddress  string `json:"StartAddress"`
	StartFileName string `json:"StartFileName"`
	StartLine     int    `json:"StartLine"`
}

func writeJSON(w *bufio.Writer, addr uint64, module string, frames []symbolize.Frame, err error) {
	type jsonError struct {
		Message string `json:"Message"`
	}
	out := struct {
		Address    string       `json:"Address"`
		Error      *jsonError   `json:"Error,omitempty"`
		ModuleName string       `json:"ModuleName"`
		Symbol     []jsonSymbol `json:"Symbol,omitempty"`
	}{Address: "0x" + strconv.FormatUint(addr, 16), ModuleName: module}
	if err != nil {
		out.Error = &jsonError{Message: err.Error()}
	}
	for _, f := range frames {
		out.Symbol = append(out.Symbol, jsonSymbol{Column: f.Column, FileName: f.File, FunctionName: f.Function, Line: f.Line})
	}
	b, _ := json.Marshal(out) // plain strings and numbers: cannot fail
	w.Write(b)
	w.WriteByte('\n')
}
