package gopclntab

import (
	"bytes"
	"unsafe"

	"github.com/flamekit/flamekit/symbolize/internal/arena"
)

// goFunc is one decoded functab entry: its entry address and its _func
// record, followed by the record's pcdata and funcdata arrays.
type goFunc struct {
	entry uint64
	rec   []byte
}

// funcAt returns functab entry i's function, and false when its _func
// record is out of bounds.
func (t *Table) funcAt(i int) (goFunc, bool) {
	off := t.funcOff(i)
	if off > uint64(len(t.funcs)) || uint64(len(t.funcs))-off < uint64(t.layout.size) {
		return goFunc{}, false
	}
	return goFunc{entry: t.entry(i), rec: t.funcs[off:]}, true
}

// field returns the uint32 at byte offset off of f's record.
func (t *Table) field(f goFunc, off int) uint32 { return t.u32(f.rec[off:]) }

// pcdata returns the offset in pctab of f's pcdata table i, 0 when f has
// none.
func (t *Table) pcdata(f goFunc, i int) uint32 {
	if uint32(i) >= t.field(f, t.layout.npcdata) {
		return 0
	}
	off := t.layout.size + 4*i
	if off > len(f.rec)-4 {
		return 0
	}
	return t.u32(f.rec[off:])
}

// inlTree returns f's inline tree, nil when it has none.
func (t *Table) inlTree(f goFunc) []byte {
	if t.gofunc == nil || goFuncDataInlTree >= int(f.rec[t.layout.nfuncdata]) {
		return nil
	}
	off := t.layout.size + 4*int(t.field(f, t.layout.npcdata)) + 4*goFuncDataInlTree
	if off < 0 || off > len(f.rec)-4 {
		return nil
	}
	fd := t.u32(f.rec[off:])
	if fd == goNoFuncData || uint64(fd) >= uint64(len(t.gofunc)) {
		return nil
	}
	return t.gofunc[fd:]
}

// pcvalue decodes the pc-value table at offset off of pctab for a function
// starting at entry, and returns the value at target; false when there is
// no table or it ends before target. Each step of the table is a zig-zag
// varint value delta then a varint pc delta (in instruction quanta), so the
// steps decoded are at most the bytes from entry to target. With a cache,
// a target at or after the furthest one decoded before resumes from there.
func (t *Table) pcvalue(off uint32, entry, target uint64, c *pcvalueCache) (int32, bool) {
	if off == 0 || uint64(off) >= uint64(len(t.pctab)) {
		return -1, false
	}
	pos, pc, val, first := int(off), entry, int32(-1), true
	var slot *pcvalueState
	if c != nil {
		slot = &c.slots[(off*0x9e3779b1)>>(32-pcvalueCacheBits)]
		if slot.off == off && slot.entry == entry && target >= slot.start {
			if target < slot.end {
				return slot.val, true
			}
			pos, pc, val, first = slot.next, slot.end, slot.val, false
		}
	}
	for ; ; first = false {
		p := t.pctab[pos:]
		uv, n := goVarint(p)
		pd, m := goVarint(p[n:])
		if n == 0 || m == 0 {
			return -1, false
		}
		pos += n + m
		// A zero value delta after the first step ends the table; a zero pc
		// delta never occurs in a valid one.
		if (uv == 0 && !first) || pd == 0 {
			return -1, false
		}
		val += int32(-(uv & 1) ^ (uv >> 1))
		start := pc
		pc += uint64(pd) * t.quantum
		if target < pc {
			// Keep the furthest point of a table: the callers' lines of
			// inlined frames look back, and the next address goes on.
			if slot != nil && (slot.off != off || slot.entry != entry || start > slot.start) {
				*slot = pcvalueState{off: off, entry: entry, start: start, end: pc, val: val, next: pos}
			}
			return val, true
		}
	}
}

// pcvalueCacheBits is log2 of the pc-value tables a pcvalueCache follows.
const pcvalueCacheBits = 4

// pcvalueCache remembers where pcvalue stopped in recently decoded tables,
// so that lookups in address order (as batches are answered) resume each
// function's tables where the previous address left them instead of
// decoding them again from the entry. It is not safe for concurrent use.
type pcvalueCache struct {
	slots [1 << pcvalueCacheBits]pcvalueState
}

// pcvalueState is where the decoding of one pc-value table stopped: the
// value val holds for [start, end), and the next step is at pctab[next:].
type pcvalueState struct {
	off        uint32
	entry      uint64
	start, end uint64
	val        int32
	next       int
}

// goVarint decodes an unsigned LEB128 varint of at most 5 bytes, returning
// its length, 0 when p holds no complete one.
func goVarint(p []byte) (uint32, int) {
	if len(p) > 0 && p[0] < 0x80 { // most are one byte
		return uint32(p[0]), 1
	}
	var v uint32
	for i := 0; i < len(p) && i < 5; i++ {
		v |= uint32(p[i]&0x7f) << (7 * i)
		if p[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// goCString returns the NUL-terminated string at off in b, sharing b's memory
// (b is never modified), and "" when off is out of bounds.
func goCString(b []byte, off uint64) string {
	if off >= uint64(len(b)) {
		return ""
	}
	s := b[off:]
	if n := bytes.IndexByte(s, 0); n >= 0 {
		s = s[:n]
	}
	if len(s) == 0 {
		return ""
	}
	return unsafe.String(&s[0], len(s))
}

// fileLine returns the file and line that f's tables give for pc: the
// innermost source position there, inlined code included.
func (t *Table) fileLine(f goFunc, pc uint64, c *Cache) (string, int) {
	line, ok := t.pcvalue(t.field(f, t.layout.pcln), f.entry, pc, c.pcvalues())
	if !ok {
		return "", 0
	}
	fileno, ok := t.pcvalue(t.field(f, t.layout.pcfile), f.entry, pc, c.pcvalues())
	if !ok || fileno < 0 {
		return "", int(line)
	}
	i := uint64(t.field(f, t.layout.cuOffset)) + uint64(fileno)
	if i >= uint64(len(t.cutab)/4) {
		return "", int(line)
	}
	fileOff := t.u32(t.cutab[4*i:])
	if fileOff == ^uint32(0) {
		return "", int(line)
	}
	return c.own(goCString(t.files, uint64(fileOff))), int(line)
}

// Frame is one function activation at an address: the function, and the
// file and line executing in it. Inlined says the call was inlined into the
// next frame's function.
type Frame struct {
	Function string
	File     string // "" when unknown, and without lines
	Line     int    // 0 when unknown, and without lines
	Inlined  bool
}

// Lookup appends the frames at pc, a link-time virtual address, innermost
// first: the calls inlined at pc (Inlined set), then the function whose code
// holds pc. Each frame's line is the one executing in that function, as
// runtime.CallersFrames gives it: pc's own line for the innermost frame, the
// line of the inlined call for its callers. With lines false, only the
// function holding the code comes back, without file or line. pc is an
// instruction's address: for a return address, pass it less one, as
// runtime.CallersFrames does, or the frames are those of the instruction
// after the call. Lookup reports false, appending nothing, when pc is
// outside the Go functions of the table. Padding after a function's code
// belongs to that function, with no line (as in debug/gosym). c, which may
// be nil, is the caller's [Cache].
func (t *Table) Lookup(pc uint64, lines bool, dst []Frame, c *Cache) ([]Frame, bool) {
	i, ok := t.findFunc(pc)
	if !ok {
		return dst, false
	}
	f, ok := t.funcAt(i)
	if !ok {
		return dst, false
	}
	if !lines {
		// Without lines only the function holding the code is wanted:
		// skip decoding the inline tree.
		return append(dst, Frame{Function: t.funcName(i, f, c)}), true
	}
	idx := int32(-1)
	tree := t.inlTree(f)
	inlIndex := t.pcdata(f, goPCDataInlTreeIndex)
	if tree != nil {
		idx, _ = t.pcvalue(inlIndex, f.entry, pc, c.pcvalues())
	}
	at := pc
	for depth := 0; ; depth++ {
		var fr Frame
		fr.File, fr.Line = t.fileLine(f, at, c)
		rec := int(idx) * t.layout.inlSize
		if idx < 0 || depth >= goMaxInlineDepth || rec > len(tree)-t.layout.inlSize {
			fr.Function = t.funcName(i, f, c)
			return append(dst, fr), true
		}
		call := tree[rec:]
		fr.Function = c.own(goCString(t.names, uint64(t.u32(call[t.layout.inlName:]))))
		fr.Inlined = true
		dst = append(dst, fr)
		at = f.entry + uint64(int64(int32(t.u32(call[t.layout.inlParentPC:]))))
		parent, _ := t.pcvalue(inlIndex, f.entry, at, c.pcvalues())
		// A call's parent comes before it in the tree; anything else is
		// corrupt: end with the physical frame, as the runtime does.
		if parent >= idx {
			parent = -1
		}
		idx = parent
	}
}

// Cache is what the owner of a [Table] keeps between its lookups: where
// the pc-value tables were left, and, when Copy is set, copies of the
// names and files lookups gave, in blocks of its own. Set Copy when the
// table is mapped from its file: frames outlive the mapping (a cache may
// drop the table while a caller holds them). A Cache is not safe for
// concurrent use; a nil *Cache keeps nothing and copies nothing.
type Cache struct {
	// Copy says that the table's strings must be copied before they are
	// given out.
	Copy bool

	pcs   pcvalueCache
	funcs []string           // function names by functab index, copied
	owned map[uintptr]string // other copies, by the address of the original
	arena arena.Strings      // the copies' bytes
}

func (c *Cache) pcvalues() *pcvalueCache {
	if c == nil {
		return nil
	}
	return &c.pcs
}

// funcName returns the name of function i, f.
func (t *Table) funcName(i int, f goFunc, c *Cache) string {
	if c == nil || !c.Copy {
		return goCString(t.names, uint64(t.field(f, t.layout.nameOff)))
	}
	if c.funcs == nil {
		c.funcs = make([]string, t.nfunc)
	}
	if s := c.funcs[i]; s != "" {
		return s
	}
	s := c.arena.Keep(goCString(t.names, uint64(t.field(f, t.layout.nameOff))))
	c.funcs[i] = s
	return s
}

// own returns s, a string of the table, or its copy in the arena when the
// table is mapped.
func (c *Cache) own(s string) string {
	if c == nil || !c.Copy || s == "" {
		return s
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if o, ok := c.owned[p]; ok && len(o) == len(s) {
		return o
	}
	if c.owned == nil {
		c.owned = map[uintptr]string{}
	}
	o := c.arena.Keep(s)
	c.owned[p] = o
	return o
}

// SizeBytes returns the memory the cache holds, for a cache's accounting.
func (c *Cache) SizeBytes() int64 {
	return c.arena.Bytes() + 32*int64(len(c.owned)) + 16*int64(len(c.funcs))
}
