package scope

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// OffCPUEvent is the event name of off-CPU samples in perf script text,
// as `perf record --off-cpu` and `flamekit record --off-cpu` write them.
const OffCPUEvent = "offcpu-time"

// untimedSeconds is where perf's placeholder time of the off-CPU samples
// it writes at the end of a recording starts: 0xFFFFFFFF00000000 ns,
// printed as 18446744069.414584 (perf adds a nanosecond a sample).
const untimedSeconds = 18446744069

// ReadOffCPU reads the off-CPU blocks of `perf script` text (gzipped or
// not): the samples of the event offcpu-time, whose time is when the
// thread ran again and whose period is the nanoseconds it was off CPU, as
// `perf record --off-cpu` (perf 6.15 and later: with --off-cpu-thresh 0
// every block is timed) and `flamekit record --off-cpu -o FILE.perf`
// write them. Its header needs the time and period fields (perf script
// prints both by default):
//
//	sleeps  4242/4242  [001] 31389.437543:    1503112 offcpu-time:
//
// The samples of other events are skipped. The leaf-most frame line
// whose address is below the kernel's half (0xffff800000000000) names the
// block's function (Block.Func): its symbol without "+0x" offset, the
// innermost of an inline chain "outer->inner", or "[module]" when perf
// could not name it.
//
// perf's untimed sums (see Blocks.Untimed) are counted, not read as
// blocks. Input without an offcpu-time sample fails with an error
// wrapping ErrNoOffCPU, and input whose offcpu-time samples are all
// untimed with one wrapping ErrNoTimestamp, as does a header without a
// time (a capture shown without the time field), naming the line. An
// offcpu-time header without a period, or with a time that is no number,
// fails with an error wrapping ErrFormat.
func ReadOffCPU(r io.Reader) (*Blocks, error) {
	br, err := gunzipped(r)
	if err != nil {
		return nil, err
	}
	var (
		p     offCPUParser
		line  []byte
		lines int
	)
	for {
		line, err = readLine(br, line[:0])
		if len(line) > 0 {
			lines++
			if perr := p.line(line); perr != nil {
				return nil, fmt.Errorf("%w: line %d: %s", perr.err, lines, perr.msg)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("scope: reading off-CPU samples: %w", err)
		}
	}
	p.end()
	b := &p.blocks
	b.Funcs = p.funcs.names
	switch {
	case len(b.Blocks) == 0 && b.Untimed > 0:
		return nil, fmt.Errorf("%w: the %d %s samples are perf's untimed sums of blocks shorter than its --off-cpu-thresh (record with perf 6.15 or later and --off-cpu-thresh 0, or with flamekit record --off-cpu)", ErrNoTimestamp, b.Untimed, OffCPUEvent)
	case len(b.Blocks) == 0:
		return nil, fmt.Errorf("%w (%d lines read)", ErrNoOffCPU, lines)
	}
	return b, nil
}

// readLine appends the next line of br to buf, without its line end.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		part, err := br.ReadSlice('\n')
		buf = append(buf, part...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
			return buf, err
		}
	}
}

// offCPUParser gathers the blocks of perf script lines.
type offCPUParser struct {
	blocks Blocks
	funcs  funcTable
	in     bool // an offcpu-time sample is being read
	block  Block
	named  bool // its function is found
}

// lineError is what is wrong with a line: a sentinel error and the
// details.
type lineError struct {
	err error
	msg string
}

// line reads one line (without its line end).
func (p *offCPUParser) line(l []byte) *lineError {
	switch {
	case len(l) == 0:
		p.end()
		return nil
	case l[0] == '#':
		return nil
	case l[0] == '\t':
		p.frame(l)
		return nil
	}
	ts, ok := perfTime(l)
	if !ok {
		if len(bytes.TrimSpace(l)) > 0 && !isFrameLine(l) {
			return &lineError{ErrNoTimestamp, fmt.Sprintf("%q", cut(l))}
		}
		p.frame(l)
		return nil
	}
	p.end()
	after := l[cap(l)-cap(ts)+len(ts)+2:]
	period, event := headerPeriod(after)
	if !bytes.HasPrefix(event, []byte(OffCPUEvent+":")) {
		return nil
	}
	if period == nil {
		return &lineError{ErrFormat, fmt.Sprintf("%s sample without its period (show it with perf script -F ...,period): %q", OffCPUEvent, cut(l))}
	}
	ns, err := strconv.ParseUint(string(period), 10, 63)
	if err != nil {
		return &lineError{ErrFormat, fmt.Sprintf("%s period %q: %q", OffCPUEvent, period, cut(l))}
	}
	sec, frac, _ := bytes.Cut(ts, []byte("."))
	s, err := strconv.ParseUint(string(sec), 10, 64)
	if err != nil {
		return &lineError{ErrFormat, fmt.Sprintf("time %q: %q", ts, cut(l))}
	}
	if s >= untimedSeconds {
		p.blocks.Untimed++
		p.blocks.UntimedTotal += time.Duration(ns)
		return nil
	}
	end, ok := nanoseconds(s, frac)
	if !ok {
		return &lineError{ErrFormat, fmt.Sprintf("time %q: %q", ts, cut(l))}
	}
	p.in, p.named = true, false
	p.block = Block{End: end, Duration: time.Duration(ns), Func: -1}
	return nil
}

// headerPeriod splits what follows a header's time and ": " into its
// period (nil when the header has none) and the event with what follows.
func headerPeriod(b []byte) (period, event []byte) {
	b = bytes.TrimLeft(b, " ")
	n := 0
	for n < len(b) && isDigit(b[n]) {
		n++
	}
	if n > 0 && n < len(b) && b[n] == ' ' {
		return b[:n], bytes.TrimLeft(b[n:], " ")
	}
	return nil, b
}

// nanoseconds returns the time of s seconds and the decimal fraction frac
// (digits only, any count) in nanoseconds, or false when it is out of
// range or frac has other bytes than digits.
func nanoseconds(s uint64, frac []byte) (time.Duration, bool) {
	if s > 9e9 {
		return 0, false
	}
	var ns int64
	for i, c := range frac {
		if !isDigit(c) {
			return 0, false
		}
		if i < 9 {
			ns = ns*10 + int64(c-'0')
		}
	}
	for i := len(frac); i < 9; i++ {
		ns *= 10
	}
	return time.Duration(int64(s)*1e9 + ns), true
}

// frame reads a frame line of the current sample: the first that is not
// the kernel's names its function.
func (p *offCPUParser) frame(l []byte) {
	if !p.in || p.named {
		return
	}
	if name, ok := userFrameName(l); ok {
		p.block.Func = p.funcs.id(name)
		p.named = true
	}
}

// end adds the sample being read, if any.
func (p *offCPUParser) end() {
	if p.in {
		p.blocks.Blocks = append(p.blocks.Blocks, p.block)
	}
	p.in = false
}

// kernelStart is where x86-64's kernel half of the address space starts.
const kernelStart = 0xffff800000000000

// userFrameName returns the function a frame line names ("\t    addr
// sym+0xoff (module)"), when its address is a user one.
func userFrameName(l []byte) (string, bool) {
	l = bytes.TrimLeft(l, " \t")
	addr, rest, ok := bytes.Cut(l, []byte(" "))
	if !ok {
		return "", false
	}
	pc, err := strconv.ParseUint(string(addr), 16, 64)
	if err != nil || pc >= kernelStart {
		return "", false
	}
	sym, mod := rest, []byte(nil)
	if i := bytes.LastIndex(rest, []byte(" (")); i >= 0 && bytes.HasSuffix(rest, []byte(")")) {
		sym, mod = rest[:i], rest[i+2:len(rest)-1]
	}
	if i := bytes.LastIndex(sym, []byte("+0x")); i > 0 {
		sym = sym[:i]
	}
	if i := bytes.LastIndex(sym, []byte("->")); i >= 0 {
		sym = sym[i+2:]
	}
	sym = bytes.TrimSpace(sym)
	if len(sym) == 0 || string(sym) == "[unknown]" {
		return unknownFuncName(string(mod)), true
	}
	return string(sym), true
}

// unknownFuncName names a function perf could not name by its module:
// "[libc.so.6]" for /usr/lib/libc.so.6, the module as it is when
// bracketed already ("[vdso]"), "[unknown]" without one.
func unknownFuncName(module string) string {
	switch {
	case module == "":
		return "[unknown]"
	case strings.HasPrefix(module, "["):
		return module
	}
	return "[" + module[strings.LastIndexByte(module, '/')+1:] + "]"
}
