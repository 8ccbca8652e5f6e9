package jit

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode"
	"unicode/utf8"
)

// ErrBadJitdump reports a file that is not a jitdump: a short header or a
// wrong magic number.
var ErrBadJitdump = errors.New("not a jitdump file")

// MaxFileSize bounds the perf maps and jitdumps read, so that a file that
// grows without end cannot make a reader read without bound: a jitdump's
// records past it are not read.
const MaxFileSize = 256 << 20

// Jitdump record ids (tools/perf/Documentation/jitdump-specification.txt).
const (
	jitCodeLoad      = 0
	jitCodeMove      = 1
	jitDebugInfo     = 2
	jitCodeClose     = 3
	jitUnwindingInfo = 4
)

const (
	jitMagic          = 0x4A695444 // "JiTD" in the writer's byte order
	jitHeaderSize     = 40
	jitRecordHeader   = 16
	jitCodeLoadFixed  = 40 // pid, tid, vma, code_addr, code_size, code_index
	jitDebugFixed     = 16 // code_addr, nr_entry
	jitDebugEntry     = 16 // addr, line, discrim; then the file name
	maxJitName        = 64 << 10
	maxJitDebugRecord = 16 << 20
)

// Jitdump is a parsed jitdump file (jit-PID.dump), in which JIT compilers
// (V8 with --perf-prof, CPython 3.13 -X perf_jit, .NET, wasmtime, the JVM
// through perf's agent) record the code they generate, with source lines.
// Its zero value names nothing.
type Jitdump struct {
	// Machine is the header's ELF e_machine (62 for x86-64; some writers
	// put 0).
	Machine uint32
	// PID is the writer's process id from the header.
	PID uint32
	// Bad counts records that were malformed; a record whose size is
	// impossible stops the parse.
	Bad int
	// Truncated reports that the file ended inside a record (the writer
	// may still be writing it); [Jitdump.Refresh] reads it again.
	Truncated bool

	order   binary.ByteOrder
	codes   []jitCode
	spans   []span
	index   []segment
	pending map[uint64][]jitLine // DEBUG_INFO by code address, for the next CODE_LOAD
	byStart map[uint64]int       // the latest code by start address, for CODE_MOVE
	offset  int64                // end of the last whole record
	stopped bool                 // a record's size was impossible: nothing after it is trusted
	unknown int                  // records of ids the spec does not define, skipped

	// tail holds the records that follow the file's last whole record,
	// read from elsewhere (see ReadTail); Lookup asks it first, as its
	// records are the latest. base is, in a tail, the dump it follows.
	tail, base *Jitdump
}

type jitCode struct {
	start, size uint64
	name        string
	lines       []jitLine // sorted by addr
}

type jitLine struct {
	addr uint64
	line uint32
	file string
}

// ParseJitdump reads a jitdump: its header (either byte order) and its
// records, each advanced by its total_size. CODE_LOAD names code, CODE_MOVE
// moves it (the old range keeps its name for older samples), DEBUG_INFO
// gives file:line for the next CODE_LOAD at its address; CODE_CLOSE,
// UNWINDING_INFO and unknown records are skipped. Where ranges overlap, the
// later record wins. A bad header returns ErrBadJitdump; bad records are
// counted in Bad.
func ParseJitdump(r io.Reader) (*Jitdump, error) {
	j := new(Jitdump)
	br := bufio.NewReader(r)
	var h [jitHeaderSize]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrBadJitdump, err)
	}
	switch {
	case binary.LittleEndian.Uint32(h[:]) == jitMagic:
		j.order = binary.LittleEndian
	case binary.BigEndian.Uint32(h[:]) == jitMagic:
		j.order = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: magic %#x", ErrBadJitdump, binary.LittleEndian.Uint32(h[:]))
	}
	size := j.order.Uint32(h[8:])
	j.Machine, j.PID = j.order.Uint32(h[12:]), j.order.Uint32(h[20:])
	if size < jitHeaderSize || size > MaxFileSize {
		return nil, fmt.Errorf("%w: header size %d", ErrBadJitdump, size)
	}
	if _, err := br.Discard(int(size - jitHeaderSize)); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrBadJitdump, err)
	}
	j.offset = int64(size)
	if err := j.readRecords(br); err != nil {
		return nil, err
	}
	return j, nil
}

// readRecords parses records from r, which starts at j.offset, until the
// end of r, and rebuilds the index.
func (j *Jitdump) readRecords(r *bufio.Reader) error {
	j.Truncated = false
	indexed := len(j.spans)
	for !j.stopped {
		var h [jitRecordHeader]byte
		n, err := io.ReadFull(r, h[:])
		if n == 0 && err == io.EOF {
			break
		}
		if err != nil {
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("jitdump: %w", err)
			}
			j.Truncated = true
			break
		}
		id, size := j.order.Uint32(h[:]), int64(j.order.Uint32(h[4:]))
		if size < jitRecordHeader || j.offset+size > MaxFileSize {
			j.Bad++
			j.stopped = true
			break
		}
		body := size - jitRecordHeader
		err = j.readRecord(r, id, body)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			j.Truncated = true
			break
		}
		if err != nil {
			return fmt.Errorf("jitdump: %w", err)
		}
		j.offset += size
	}
	if len(j.spans) != indexed {
		j.index = latestWins(j.spans)
	}
	return nil
}

// readRecord consumes one record's body of n bytes.
func (j *Jitdump) readRecord(r *bufio.Reader, id uint32, n int64) error {
	var keep int64 // bytes of the body to look at; the rest is skipped
	switch id {
	case jitCodeLoad:
		keep = min(n, jitCodeLoadFixed+maxJitName)
	case jitCodeMove:
		keep = min(n, jitCodeLoadFixed+8)
	case jitDebugInfo:
		keep = n
		if n > maxJitDebugRecord {
			keep = 0
			j.Bad++
		}
	case jitCodeClose, jitUnwindingInfo:
	default:
		j.unknown++
	}
	body, err := io.ReadAll(io.LimitReader(r, keep)) // no allocation for sizes the file does not back
	if err != nil {
		return err
	}
	if int64(len(body)) < keep {
		return io.ErrUnexpectedEOF
	}
	if _, err := r.Discard(int(n - keep)); err != nil {
		return err
	}
	switch {
	case id == jitCodeLoad:
		j.codeLoad(body)
	case id == jitCodeMove:
		j.codeMove(body)
	case id == jitDebugInfo && keep > 0:
		j.debugInfo(body)
	}
	return nil
}

// codeLoad handles {pid, tid u32; vma, code_addr, code_size, code_index u64;
// name NUL; code}.
func (j *Jitdump) codeLoad(b []byte) {
	name, _, ok := bytes.Cut(b[min(len(b), jitCodeLoadFixed):], []byte{0})
	if len(b) < jitCodeLoadFixed || !ok {
		j.Bad++
		return
	}
	addr, size := j.order.Uint64(b[16:]), j.order.Uint64(b[24:])
	if addr+size < addr {
		j.Bad++
		return
	}
	lines, ok := j.pending[addr]
	delete(j.pending, addr)
	if !ok && j.base != nil {
		lines = j.base.pending[addr] // the base's own CODE_LOAD may still come: keep it
	}
	j.add(jitCode{start: addr, size: size, name: string(name), lines: lines})
}

// codeMove handles {pid, tid u32; vma, old_code_addr, new_code_addr,
// code_size, code_index u64}: the latest code at old_code_addr moves.
func (j *Jitdump) codeMove(b []byte) {
	if len(b) < jitCodeLoadFixed+8 {
		j.Bad++
		return
	}
	old, addr, size := j.order.Uint64(b[16:]), j.order.Uint64(b[24:]), j.order.Uint64(b[32:])
	moved := j.latestAt(old)
	if moved == nil || addr+size < addr {
		j.Bad++
		return
	}
	c := jitCode{start: addr, size: size, name: moved.name}
	for _, l := range moved.lines {
		l.addr = l.addr - old + addr
		c.lines = append(c.lines, l)
	}
	j.add(c)
}

// debugInfo handles {code_addr, nr_entry u64; {addr u64; line, discrim u32;
// file NUL}...}; a file of "\xff" repeats the previous entry's file. A
// record with a file name that is not printable UTF-8 is dropped: Node 20's
// V8 writes freed memory there (and, as the spec puts no bound on names,
// nothing after it can be trusted).
func (j *Jitdump) debugInfo(b []byte) {
	if len(b) < jitDebugFixed {
		j.Bad++
		return
	}
	addr, n := j.order.Uint64(b), j.order.Uint64(b[8:])
	b = b[jitDebugFixed:]
	lines := make([]jitLine, 0, min(n, uint64(len(b)/jitDebugEntry)))
	prev := ""
	for ; n > 0; n-- {
		if len(b) < jitDebugEntry {
			j.Bad++
			return
		}
		file, rest, ok := bytes.Cut(b[jitDebugEntry:], []byte{0})
		if !ok || !printable(file) {
			j.Bad++
			return
		}
		if string(file) != "\xff" {
			prev = string(file)
		}
		lines = append(lines, jitLine{addr: j.order.Uint64(b), line: j.order.Uint32(b[8:]), file: prev})
		b = rest
	}
	sort.SliceStable(lines, func(a, b int) bool { return lines[a].addr < lines[b].addr })
	if j.pending == nil {
		j.pending = map[uint64][]jitLine{}
	}
	j.pending[addr] = lines
}

// printable reports whether a file name is "\xff" or printable UTF-8.
func printable(b []byte) bool {
	if string(b) == "\xff" {
		return true
	}
	for _, r := range string(b) {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func (j *Jitdump) add(c jitCode) {
	if j.byStart == nil {
		j.byStart = map[uint64]int{}
	}
	j.byStart[c.start] = len(j.codes)
	j.codes = append(j.codes, c)
	j.spans = append(j.spans, span{c.start, c.start + c.size})
}

// latestAt returns the latest code that starts at addr, in j or its base.
func (j *Jitdump) latestAt(addr uint64) *jitCode {
	if i, ok := j.byStart[addr]; ok {
		return &j.codes[i]
	}
	if j.base != nil {
		return j.base.latestAt(addr)
	}
	return nil
}

// refresh reads the records appended to the file since the last read.
func (j *Jitdump) Refresh(f io.ReaderAt) error {
	return j.readRecords(bufio.NewReader(io.NewSectionReader(f, j.offset, MaxFileSize-j.offset)))
}

// Offset returns where the last whole record read from the file ends:
// what follows is read by the next [Jitdump.Refresh].
func (j *Jitdump) Offset() int64 { return j.offset }

// Lookup returns the JIT code holding addr, with the source file and line
// of addr when the jitdump has them.
func (j *Jitdump) Lookup(addr uint64) (Symbol, bool) {
	if j.tail != nil {
		if s, ok := j.tail.Lookup(addr); ok {
			return s, true
		}
	}
	i, ok := lookupSegment(j.index, addr)
	if !ok {
		return Symbol{}, false
	}
	c := &j.codes[i]
	s := Symbol{Name: c.name, Start: c.start, Size: c.size}
	if k := sort.Search(len(c.lines), func(k int) bool { return c.lines[k].addr > addr }); k > 0 {
		s.File, s.Line = c.lines[k-1].file, int(c.lines[k-1].line)
	}
	return s, true
}

// Len returns the number of pieces of code read (moved ones included),
// the tail's too.
func (j *Jitdump) Len() int {
	if j.tail != nil {
		return len(j.codes) + j.tail.Len()
	}
	return len(j.codes)
}
