package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/flamekit/flamekit/symbolize"
)

// runSymbolize prints the frames of addresses as llvm-symbolizer does
// (file:line:column and inlined frames by default, in its LLVM, GNU and JSON
// output styles), so it can stand in where tools run llvm-symbolizer (pprof
// runs `llvm-symbolizer --inlining -demangle=false --output-style=JSON` and
// writes "CODE FILE 0xADDR" lines).
func runSymbolize(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("symbolize", "(-e BINARY | -p PID | --kernel) [--no-inlines | --names-only] [--functions linkage|short|none] [--demangle=false] [--output-style LLVM|GNU|JSON] [ADDR...]", stderr)
	var obj string
	fs.StringVar(&obj, "e", "", "the ELF `file` whose link-time addresses are given")
	fs.StringVar(&obj, "obj", "", "alias of -e (llvm-symbolizer's name)")
	fs.StringVar(&obj, "exe", "", "alias of -e")
	pid := fs.Int("p", 0, "symbolize runtime addresses of the process `PID`")
	kernel := fs.Bool("kernel", false, "symbolize kernel addresses (/proc/kallsyms)")
	inlines := true
	fs.BoolVar(&inlines, "inlines", true, "print inlined frames, innermost first (--inlines=false is --no-inlines)")
	fs.BoolVar(&inlines, "inlining", true, "alias of --inlines (llvm-symbolizer's name)")
	fs.BoolVar(&inlines, "i", true, "alias of --inlines")
	noInlines := fs.Bool("no-inlines", false, "one frame per address: the function holding the code, with the innermost file:line")
	namesOnly := fs.Bool("names-only", false, "function names from the symbol tables only, without file:line or inlined frames (??:0:0): faster, as DWARF is not read (Go binaries still give file:line)")
	var functions string
	fs.StringVar(&functions, "functions", "linkage", "function names: linkage (full), short (no parameters, template or generic arguments) or none")
	fs.StringVar(&functions, "f", "linkage", "alias of --functions")
	demangle := fs.Bool("demangle", true, "demangle C++ and Rust names")
	short := fs.Bool("short", false, "alias of --functions=short (no parameters, template or generic arguments)")
	style := fs.String("output-style", "LLVM", "LLVM (function, then file:line:column), GNU (function, then file:line, as addr2line) or JSON")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *short {
		functions = "short"
	}
	if *noInlines {
		inlines = false
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
	outStyle := strings.ToUpper(*style)
	if outStyle != "LLVM" && outStyle != "GNU" && outStyle != "JSON" {
		return fmt.Errorf("%w: unknown --output-style %q (want LLVM, GNU or JSON)", errUsage, *style)
	}
	opts := symbolize.LookupOptions{Lines: !*namesOnly}
	switch functions {
	case "linkage", "none":
	case "short":
		opts.Names = symbolize.NamesShort
	default:
		return fmt.Errorf("%w: unknown --functions %q (want linkage, short or none)", errUsage, functions)
	}
	if !*demangle {
		opts.Names = symbolize.NamesRaw
	}

	sym := &symbolizeRun{
		ctx: context.Background(), s: symbolize.New(symbolize.Options{}), opts: opts, obj: obj, kernel: *kernel,
		style: outStyle, inlines: inlines, noNames: functions == "none", stderr: stderr,
	}
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
	o, err := openOutput("", stdout)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(o)
	if len(files) > 0 {
		err = sym.answerArgs(w, files)
	} else {
		err = sym.answerLines(w, stdin)
	}
	if ferr := w.Flush(); ferr != nil {
		return ferr // a write error: the answers are lost
	}
	return o.finish(err)
}

// answerArgs answers the addresses of the command line. An error (an
// unreadable file, a bad address) is said on stderr and makes the exit
// status 1.
func (r *symbolizeRun) answerArgs(w *bufio.Writer, args []string) error {
	qs := make([]query, len(args))
	for i, a := range args {
		qs[i], _ = r.parse([]byte(a))
	}
	if r.style == "JSON" { // one array, as llvm-symbolizer writes
		w.WriteByte('[')
		r.jsonSep = ","
	}
	err := r.answer(w, qs)
	if r.style == "JSON" {
		w.WriteString("]\n")
	}
	return err
}

// answerLines answers the lines of stdin as they come. Like
// llvm-symbolizer, it goes on after errors, which it says on stderr, and
// exits 0 unless writing fails.
func (r *symbolizeRun) answerLines(w *bufio.Writer, stdin io.Reader) error {
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
		if q, ok := r.parse(line); ok {
			qs = append(qs, q)
		}
		if rerr != nil || br.Buffered() == 0 || len(qs) >= 8192 {
			if err := r.answer(w, qs); errors.Is(err, errUsage) {
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
	ctx     context.Context // the command's: it ends with the process
	s       *symbolize.Symbolizer
	opts    symbolize.LookupOptions
	obj     string             // -e
	proc    *symbolize.Process // -p
	kernel  bool               // --kernel
	style   string             // LLVM, GNU or JSON
	inlines bool               // print inlined frames (else one frame per address)
	noNames bool               // --functions=none
	jsonSep string             // written before each JSON answer but the first
	answers int                // answers written so far
	said    map[string]bool    // errors said on stderr
	stderr  io.Writer
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
// rest; such errors are said once on stderr, and then answer returns
// exitStatus(1).
func (r *symbolizeRun) answer(w *bufio.Writer, qs []query) error {
	var failed bool
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
			frames, err = r.s.File(r.ctx, module, addrs, symbolize.VirtualAddress, r.opts)
		case r.proc != nil:
			frames, err = r.s.Process(r.ctx, r.proc, addrs, r.opts)
		case r.kernel:
			module = symbolize.KernelPath
			frames, err = r.s.Kernel(r.ctx, addrs, r.opts)
		default:
			return fmt.Errorf("%w: no binary for %#x: give -e, -p or --kernel, or \"FILE ADDR\" lines", errUsage, batch[0].addr)
		}
		if err != nil {
			r.report(err)
			failed = true
		}
		for i, q := range batch {
			var got []symbolize.Frame
			qerr := cmp.Or(q.err, err)
			if qerr == nil {
				got = r.shape(frames[i])
			} else if q.err != nil {
				r.report(q.err)
				failed = true
			}
			switch r.style {
			case "JSON":
				if r.answers > 0 {
					w.WriteString(r.jsonSep)
				}
				writeJSON(w, q.addr, module, got, qerr, r.jsonSep == "")
			default:
				writePlain(w, got, r.style == "GNU", r.noNames)
			}
			r.answers++
		}
	}
	if failed {
		return exitStatus(1)
	}
	return nil
}

// report says err on stderr, unless the same was said before: like
// llvm-symbolizer, a file that cannot be read is named once, however many
// of its addresses come.
func (r *symbolizeRun) report(err error) {
	msg := err.Error()
	if r.said[msg] {
		return
	}
	if r.said == nil {
		r.said = map[string]bool{}
	}
	r.said[msg] = true
	report(r.stderr, "symbolize", err)
}

// shape returns the frames to print for one address: all of them, or
// without inlined frames one, as llvm-symbolizer --no-inlines prints it:
// the outermost function's name with the innermost frame's place. With
// --functions=none the names are blank.
func (r *symbolizeRun) shape(frames []symbolize.Frame) []symbolize.Frame {
	if !r.inlines && len(frames) > 1 {
		f := frames[0]
		f.Function, f.Inlined = frames[len(frames)-1].Function, false
		frames = []symbolize.Frame{f}
	}
	if r.noNames {
		frames = slices.Clone(frames)
		for i := range frames {
			frames[i].Function = ""
		}
	}
	return frames
}

// writePlain prints frames as llvm-symbolizer does: the function (unless
// noNames), then file:line:column (file:line in GNU style), for each frame
// innermost first; "??" when unknown; in LLVM style a blank line after each
// address. Write errors stay in w, for its Flush.
func writePlain(w *bufio.Writer, frames []symbolize.Frame, gnu, noNames bool) {
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
		if !noNames {
			w.WriteString(name)
			w.WriteByte('\n')
		}
		w.WriteString(file)
		w.WriteByte(':')
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(f.Line), 10))
		if !gnu {
			w.WriteByte(':')
			w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(f.Column), 10))
		}
		w.WriteByte('\n')
	}
	if !gnu {
		w.WriteByte('\n')
	}
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

// writeJSON writes one answer as llvm-symbolizer's JSON object, and a
// newline after it when newline is set (one object a line, on stdin's
// answers).
func writeJSON(w *bufio.Writer, addr uint64, module string, frames []symbolize.Frame, err error, newline bool) {
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
	if newline {
		w.WriteByte('\n')
	}
}
