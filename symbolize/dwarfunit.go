package symbolize

import (
	"debug/dwarf"
	"path"
	"sort"
)

// dwarfUnit is one compilation unit's line table and function tree.
type dwarfUnit struct {
	rows  []lineRow
	files []string
	funcs []funcRange // sorted by low, then outer before inner
}

// lineRow is one row of a line table.
type lineRow struct {
	addr      uint64
	file      uint32
	line, col uint32
	end       bool // end of a sequence: no code here
}

// funcRange is one address range of a subprogram or inlined call.
type funcRange struct {
	low, high uint64
	parent    int32 // enclosing range, -1 when none
	inlined   bool
	name      string
	callFile  uint32 // where this inlined call is, in its caller
	callLine  uint32
	callCol   uint32
}

func (u *dwarfUnit) sizeBytes() int64 {
	n := int64(len(u.rows))*24 + int64(len(u.funcs))*72
	for _, f := range u.files {
		n += int64(len(f)) + 16
	}
	return n
}

// file returns the name of file index i, "" when out of range.
func (u *dwarfUnit) file(i uint32) string {
	if int(i) < len(u.files) {
		return u.files[i]
	}
	return ""
}

// line returns the source position of pc.
func (u *dwarfUnit) line(pc uint64) (string, int, int, bool) {
	i := sort.Search(len(u.rows), func(i int) bool { return u.rows[i].addr > pc }) - 1
	if i < 0 || u.rows[i].end {
		return "", 0, 0, false
	}
	r := u.rows[i]
	return u.file(r.file), int(r.line), int(r.col), true
}

// chain returns the ranges holding pc, innermost first.
func (u *dwarfUnit) chain(pc uint64) []*funcRange {
	i := sort.Search(len(u.funcs), func(i int) bool { return u.funcs[i].low > pc }) - 1
	var out []*funcRange
	for i >= 0 && len(out) < len(u.funcs) {
		f := &u.funcs[i]
		if pc < f.high {
			out = append(out, f)
			if !f.inlined {
				break
			}
		}
		i = int(f.parent)
	}
	return out
}

// parseUnit reads the line table and the subprogram and inlined-call tree of
// the unit at cu. It returns nil when the unit cannot be read.
func parseUnit(d *dwarf.Data, cu dwarf.Offset) *dwarfUnit {
	r := d.Reader()
	r.Seek(cu)
	top, err := r.Next()
	if err != nil || top == nil {
		return nil
	}
	u := &dwarfUnit{}
	if lr, err := d.LineReader(top); err == nil && lr != nil {
		compDir, _ := top.Val(dwarf.AttrCompDir).(string)
		u.readLines(lr, compDir)
	}
	names := nameResolver{d: d, r: d.Reader(), cache: make(map[dwarf.Offset]string)}
	if top.Children {
		u.readFuncs(d, r, &names)
	}
	return u
}

// maxLineRows bounds the rows read from one unit's line table, so that a
// damaged one cannot grow without end.
const maxLineRows = 1 << 22

// readLines reads the unit's line table. debug/dwarf joins relative
// directories to the compilation directory in DWARF 4 but not in DWARF 5
// (whose file 0, unlike DWARF 4's, exists): readLines does it then, so both
// give the same names.
func (u *dwarfUnit) readLines(lr *dwarf.LineReader, compDir string) {
	var e dwarf.LineEntry
	index := make(map[*dwarf.LineFile]uint32)
	for len(u.rows) < maxLineRows && lr.Next(&e) == nil {
		row := lineRow{addr: e.Address, line: uint32(e.Line), col: uint32(e.Column), end: e.EndSequence}
		if e.File != nil {
			k, ok := index[e.File]
			if !ok {
				for j, f := range lr.Files() {
					if f == e.File {
						k, ok = uint32(j), true
						break
					}
				}
				index[e.File] = k
			}
			row.file = k
		}
		u.rows = append(u.rows, row)
	}
	files := lr.Files()
	v5 := len(files) > 0 && files[0] != nil
	for _, f := range files {
		name := ""
		if f != nil {
			name = f.Name
			if v5 && compDir != "" && !path.IsAbs(name) {
				name = path.Join(compDir, name)
			}
		}
		u.files = append(u.files, name)
	}
	// End-of-sequence rows go before rows starting at the same address,
	// so that the search finds the code that starts there.
	sort.SliceStable(u.rows, func(i, j int) bool {
		a, b := u.rows[i], u.rows[j]
		if a.addr != b.addr {
			return a.addr < b.addr
		}
		return a.end && !b.end
	})
}

// readFuncs reads the subprograms and inlined calls under the unit's DIE
// and links their ranges into a tree.
func (u *dwarfUnit) readFuncs(d *dwarf.Data, r *dwarf.Reader, names *nameResolver) {
	depth := 1
	last := dwarf.Offset(0)
	for depth > 0 {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		if e.Tag == 0 { // debug/dwarf gives the null entries that end children no offset
			depth--
			continue
		}
		if e.Offset <= last {
			break // damaged DWARF that does not move forward
		}
		last = e.Offset
		if e.Tag == dwarf.TagSubprogram || e.Tag == dwarf.TagInlinedSubroutine {
			if rs, err := d.Ranges(e); err == nil && len(rs) > 0 {
				f := funcRange{inlined: e.Tag == dwarf.TagInlinedSubroutine, name: names.name(e)}
				if f.inlined {
					f.callFile = attrUint32(e, dwarf.AttrCallFile)
					f.callLine = attrUint32(e, dwarf.AttrCallLine)
					f.callCol = attrUint32(e, dwarf.AttrCallColumn)
				}
				for _, rg := range rs {
					if rg[0] < rg[1] {
						f.low, f.high = rg[0], rg[1]
						u.funcs = append(u.funcs, f)
					}
				}
			}
		}
		if e.Children {
			if holdsCode[e.Tag] {
				depth++
			} else {
				r.SkipChildren() // types, enums, parameters: no code inside
			}
		}
	}
	u.linkFuncs()
}

// holdsCode lists the DIEs whose children readFuncs reads: those that can
// hold subprograms or inlined calls with addresses. GCC and Clang put member
// function definitions at namespace level (with DW_AT_specification), so
// class bodies, which are large in C++, are skipped.
var holdsCode = map[dwarf.Tag]bool{
	dwarf.TagSubprogram:        true,
	dwarf.TagInlinedSubroutine: true,
	dwarf.TagLexDwarfBlock:     true,
	dwarf.TagTryDwarfBlock:     true,
	dwarf.TagCatchDwarfBlock:   true,
	dwarf.TagNamespace:         true,
	dwarf.TagModule:            true,
	dwarf.TagCompileUnit:       true,
	dwarf.TagPartialUnit:       true,
}

// linkFuncs sorts the ranges, outer before inner at equal starts, and sets
// each one's parent: the nearest earlier range that encloses it.
func (u *dwarfUnit) linkFuncs() {
	sort.SliceStable(u.funcs, func(i, j int) bool {
		a, b := &u.funcs[i], &u.funcs[j]
		if a.low != b.low {
			return a.low < b.low
		}
		return a.high > b.high
	})
	var stack []int32
	for i := range u.funcs {
		f := &u.funcs[i]
		f.parent = -1
		for len(stack) > 0 {
			top := &u.funcs[stack[len(stack)-1]]
			if f.low < top.high {
				f.parent = stack[len(stack)-1]
				break
			}
			stack = stack[:len(stack)-1]
		}
		stack = append(stack, int32(i))
	}
}

func attrUint32(e *dwarf.Entry, a dwarf.Attr) uint32 {
	switch v := e.Val(a).(type) {
	case int64:
		if v >= 0 && v <= 1<<31 {
			return uint32(v)
		}
	case uint64:
		if v <= 1<<31 {
			return uint32(v)
		}
	}
	return 0
}
