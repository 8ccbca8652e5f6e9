package main

import (
	"bufio"
	"bytes"
	"cmp"
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
	short := fs.Bool("short", false, "short names: no parameters, template or generic arguments")
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

	sym := &symbolizeRun{s: symbolize.New(symbolize.Options{}), opts: opts, obj: obj, kernel: *kernel, json: jsonOut, stderr: stderr}
	defer sym.s.Close()
	if *pid != 0 {
		if sym.proc, err = symbolize.SnapshotProcess(*pid); err != nil {
			return err
		}
		defer sym.proc.Close()
	}
	if obj == "" && *pid == 0 && !*kernel && len(files) > 0 {
		return fmt.Errorf("%w: give -e, -p or --kernel to say whose addresses these are", errUsage)
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	if len(files) > 0 {
		qs := make([]query, len(files))
		for i, a := range files {
			qs[i], _ = sym.parse([]byte(a))
		}
		return sym.answer(w, qs)
	}
	// Lines "[CODE|DATA] [FILE] ADDR", as llvm-symbolizer reads them. What
	// is already buffered is answered in one batch; then the answers are
	// flushed, since a pipe partner (pprof) waits for each.
	br := bufio.NewReaderSize(stdin, 64<<10)
	var qs []query
	var long []byte // a line longer than br's buffer
	for {
		line, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull {
			long = append(long, line...)
			continue
		}
		if long != nil {
			line, long = append(long, line...), nil
		}
		if q, ok := sym.parse(line); ok {
			qs = append(qs, q)
		}
		if rerr != nil || br.Buffered() == 0 || len(qs) >= 8192 {
			if err := sym.answer(w, qs); errors.Is(err, errUsage) {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
			qs = qs[:0]
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// symbolizeRun is one `flamekit symbolize`: where addresses come from and how
// answers are written.
type symbolizeRun struct {
	s      *symbolize.Symbolizer
	opts   symbolize.LookupOptions
	obj    string             // -e
	proc   *symbolize.Process // -p
	kernel bool               // --kernel
	json   bool
	stderr io.Writer
}

// query is one address to answer, and the binary it belongs to ("" for the
// process or the kernel).
type query struct {
	file string
	addr uint64
	err  error
}

// parse reads "[CODE|DATA] [FILE] ADDR" (or just ADDR), and reports false
// for a blank line. It keeps no reference to line.
func (r *symbolizeRun) parse(line []byte) (query, bool) {
	line = bytes.TrimSpace(line)
	for _, kind := range []string{"CODE", "DATA"} {
		if rest, ok := bytes.CutPrefix(line, []byte(kind)); ok && (len(rest) == 0 || isSpace(rest[0])) {
			line = bytes.TrimSpace(rest)
			break
		}
	}
	if len(line) == 0 {
		return query{}, false
	}
	q := query{file: r.obj}
	text := line
	if i := lastSpace(line); i >= 0 {
		text = line[i+1:]
		q.file = strings.Join(strings.Fields(string(line[:i])), " ")
	}
	var ok bool
	if q.addr, ok = parseHex(text); !ok {
		q.err = fmt.Errorf("bad address %q: want hexadecimal", text)
	}
	return q, true
}

// parseHex reads a 64-bit hexadecimal number, with or without 0x.
func parseHex(b []byte) (uint64, bool) {
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	if len(b) == 0 {
		return 0, false
	}
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	if len(b) > 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}

// lastSpace returns the index of the last blank or tab in b, -1 if none.
func lastSpace(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ' ' || b[i] == '\t' {
			return i
		}
	}
	return -1
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

// answer symbolizes the queries, a batch for each run of the same binary,
// and writes the answers in order. Like llvm-symbolizer, a bad address or
// an unreadable file gets "??" (or an Error in JSON) and does not stop the
// rest; such errors are reported on stderr and the last one returned.
func (r *symbolizeRun) answer(w *bufio.Writer, qs []query) error {
	var last error
	for len(qs) > 0 {
		n := 1
		for n < len(qs) && qs[n].file == qs[0].file {
			n++
		}
		batch := qs[:n]
		qs = qs[n:]
		addrs := make([]uint64, len(batch))
		for i, q := range batch {
			addrs[i] = q.addr
		}
		var frames [][]symbolize.Frame
		var err error
		module := batch[0].file
		switch {
		case module != "":
			frames, err = r.s.File(module, addrs, symbolize.VirtualAddress, r.opts)
		case r.proc != nil:
			frames, err = r.s.Process(r.proc, addrs, r.opts)
		case r.kernel:
			module = symbolize.KernelPath
			frames, err = r.s.Kernel(addrs, r.opts)
		default:
			return fmt.Errorf("%w: no binary for %#x: give -e, -p or --kernel, or \"FILE ADDR\" lines", errUsage, batch[0].addr)
		}
		if err != nil {
			fmt.Fprintf(r.stderr, "flamekit symbolize: %v\n", err)
			last = err
		}
		for i, q := range batch {
			var got []symbolize.Frame
			qerr := cmp.Or(q.err, err)
			if qerr == nil {
				got = frames[i]
			} else if q.err != nil {
				fmt.Fprintf(r.stderr, "flamekit symbolize: %v\n", q.err)
				last = q.err
			}
			if r.json {
				writeJSON(w, q.addr, module, got, qerr)
			} else {
				writePlain(w, got)
			}
		}
	}
	return last
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
		w.WriteString(name)
		w.WriteByte('\n')
		w.WriteString(file)
		w.WriteByte(':')
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(f.Line), 10))
		w.WriteByte(':')
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(f.Column), 10))
		w.WriteByte('\n')
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
