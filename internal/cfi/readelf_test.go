package cfi

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
)

// readelfFDE is an FDE as readelf --debug-dump=frames-interp prints it:
// its range and its rows, each a map from column (CFA, rbp, ra) to
// readelf's notation.
type readelfFDE struct {
	section    string
	offset     uint64
	cie        uint64
	begin, end uint64
	locs       []uint64
	rows       []map[string]string
}

var (
	readelfSection = regexp.MustCompile(`^Contents of the (\S+) section`)
	readelfEntry   = regexp.MustCompile(`^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ (CIE|FDE)(?: cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+))?`)
	readelfRow     = regexp.MustCompile(`^([0-9a-f]{8,16}) +(\S.*)$`)
)

// readelfFrames runs readelf on the file and returns its FDEs, keyed by
// section and offset, and its CIEs' rows likewise (an FDE without
// instructions of its own prints no rows: its CIE's apply).
func readelfFrames(t *testing.T, path string) (fdes []*readelfFDE, cies map[string]*readelfFDE) {
	t.Helper()
	readelf := testenv.RequireTool(t, "readelf", "apt-get install binutils")
	out, err := exec.Command(readelf, "--debug-dump=frames-interp", path).Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("readelf %s: %v", path, err)
	}
	cies = map[string]*readelfFDE{}
	var section string
	var cur *readelfFDE
	var cols []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	hex := func(s string) uint64 {
		v, err := strconv.ParseUint(s, 16, 64)
		if err != nil {
			t.Fatalf("readelf: %q: %v", s, err)
		}
		return v
	}
	for sc.Scan() {
		line := sc.Text()
		if m := readelfSection.FindStringSubmatch(line); m != nil {
			section, cur = m[1], nil
			continue
		}
		if m := readelfEntry.FindStringSubmatch(line); m != nil {
			cur = &readelfFDE{section: section, offset: hex(m[1])}
			if m[2] == "CIE" {
				cies[fmt.Sprint(section, cur.offset)] = cur
			} else {
				cur.cie, cur.begin, cur.end = hex(m[3]), hex(m[4]), hex(m[5])
				fdes = append(fdes, cur)
			}
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "LOC") {
			cols = strings.Fields(line)[1:]
			continue
		}
		if strings.Contains(line, "ZERO terminator") {
			cur = nil
			continue
		}
		if m := readelfRow.FindStringSubmatch(line); m != nil && cur != nil {
			vals := readelfValues(m[2])
			if len(vals) != len(cols) {
				t.Fatalf("readelf row %q under columns %q", line, cols)
			}
			row := map[string]string{}
			for i, c := range cols {
				row[c] = vals[i]
			}
			cur.locs = append(cur.locs, hex(m[1]))
			cur.rows = append(cur.rows, row)
		}
	}
	return fdes, cies
}

// readelfValues splits a row's columns: "r9 (r9)", a register rule, is
// one.
func readelfValues(s string) []string {
	var vals []string
	for _, f := range strings.Fields(s) {
		if strings.HasPrefix(f, "(") && len(vals) > 0 {
			vals[len(vals)-1] += " " + f
			continue
		}
		vals = append(vals, f)
	}
	return vals
}

// regNames are readelf's names of the x86-64 DWARF registers.
var regNames = []string{"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"}

func regName(r int) string {
	if r >= 0 && r < len(regNames) {
		return regNames[r]
	}
	return fmt.Sprintf("r%d", r)
}

// readelfCFA is the rule's CFA in readelf's notation.
func readelfCFA(r Rule) string {
	switch r.CFA {
	case CFARSP:
		return fmt.Sprintf("rsp%+d", r.CFAOffset)
	case CFARBP:
		return fmt.Sprintf("rbp%+d", r.CFAOffset)
	case CFAOtherRegister:
		return fmt.Sprintf("%s%+d", regName(int(r.CFAReg)), r.CFAOffset)
	case CFAPLT, CFADerefRSP, CFAExpression:
		return "exp"
	}
	return "none"
}

// sameSave reports whether readelf's notation (u when the column is not
// printed) says the same as s: readelf prints u both for a register not
// yet mentioned and for DW_CFA_undefined.
func sameSave(readelf string, s Save) bool {
	if readelf == "" {
		readelf = "u"
	}
	switch s.Kind {
	case SaveUnchanged:
		return readelf == "u" || readelf == "s"
	case SaveAtRSP:
		return readelf == "exp"
	case SaveInRegister:
		return readelf == fmt.Sprintf("r%d (%s)", s.Offset, regName(int(s.Offset)))
	}
	return readelf == s.String()
}

// agreement counts what compareWithReadelf compared.
type agreement struct {
	fdes, agreeing, rows   int
	plt, deref, expression int
	mismatches             []string
}

// compareWithReadelf parses the file's frame sections and checks every
// FDE's rows against readelf's, at every address where either changes.
func compareWithReadelf(t *testing.T, path string) agreement {
	t.Helper()
	want, cies := readelfFrames(t, path)
	f := openELF(t, path)
	secs, err := frameSections(f, []string{".eh_frame", ".debug_frame"})
	if err != nil {
		t.Fatal(err)
	}
	mine := map[string]fdeRows{}
	for _, s := range secs {
		fdes, err := s.parse()
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range fdes {
			mine[fmt.Sprint(s.name(), fd.offset)] = fd
		}
	}
	var a agreement
	for _, w := range want {
		a.fdes++
		key := fmt.Sprint(w.section, w.offset)
		got, ok := mine[key]
		if !ok {
			a.mismatches = append(a.mismatches, fmt.Sprintf("%s FDE at %#x (pc %#x): not parsed", w.section, w.offset, w.begin))
			continue
		}
		if got.begin != w.begin || got.end != w.end {
			a.mismatches = append(a.mismatches, fmt.Sprintf("%s FDE at %#x: range %#x..%#x, readelf %#x..%#x", w.section, w.offset, got.begin, got.end, w.begin, w.end))
			continue
		}
		locs, rows := w.locs, w.rows
		if len(rows) == 0 {
			if c := cies[fmt.Sprint(w.section, w.cie)]; c != nil && len(c.rows) > 0 {
				locs, rows = []uint64{w.begin}, c.rows[len(c.rows)-1:]
			}
		}
		if w.begin == w.end {
			a.agreeing++
			continue
		}
		at := map[uint64]bool{}
		for _, l := range locs {
			at[l] = true
		}
		for _, r := range got.rows {
			at[r.addr] = true
		}
		ok = true
		for addr := range at {
			if addr < w.begin || addr >= w.end {
				continue
			}
			a.rows++
			wr := readelfAt(locs, rows, addr)
			gr, found := rowAt(got.rows, addr)
			switch {
			case wr == nil || !found:
				ok = false
				a.mismatches = append(a.mismatches, fmt.Sprintf("%s FDE at %#x, %#x: readelf %v, mine %v (found %v)", w.section, w.offset, addr, wr, gr, found))
			case wr["CFA"] != readelfCFA(gr) || !sameSave(wr["ra"], gr.RA) || !sameSave(wr["rbp"], gr.RBP):
				ok = false
				a.mismatches = append(a.mismatches, fmt.Sprintf("%s FDE at %#x, %#x: readelf CFA %s rbp %s ra %s, mine %v", w.section, w.offset, addr, wr["CFA"], wr["rbp"], wr["ra"], gr))
			}
			switch gr.CFA {
			case CFAPLT:
				a.plt++
			case CFADerefRSP:
				a.deref++
			case CFAExpression:
				a.expression++
			}
		}
		if ok {
			a.agreeing++
		}
	}
	return a
}

// readelfAt is readelf's row in force at addr.
func readelfAt(locs []uint64, rows []map[string]string, addr uint64) map[string]string {
	var r map[string]string
	for i, l := range locs {
		if l <= addr {
			r = rows[i]
		}
	}
	return r
}

// rowAt is the row in force at addr.
func rowAt(rows []row, addr uint64) (Rule, bool) {
	var r Rule
	found := false
	for _, x := range rows {
		if x.addr <= addr {
			r, found = x.rule, true
		}
	}
	return r, found
}
