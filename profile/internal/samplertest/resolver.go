package samplertest

import (
	"bufio"
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// funcSym is a function symbol of an executable, at its link-time address.
type funcSym struct {
	name       string
	start, end uint64
}

// Resolver names the addresses of one executable in one running process,
// from its ELF symbol table (or Go line table) and /proc/PID/maps. It is a
// test aid, not a symbolizer: tests of the backends check their stacks
// with it, apart from package symbolize.
type Resolver struct {
	syms  []funcSym
	loads []elf.ProgHeader
	maps  []mapping
}

type mapping struct{ start, end, off uint64 }

// NewResolver reads the functions of exe and where process pid maps it.
func NewResolver(tb testing.TB, pid int, exe string) *Resolver {
	tb.Helper()
	f, err := elf.Open(exe)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := &Resolver{syms: elfFuncs(tb, f)}
	sort.Slice(r.syms, func(i, j int) bool { return r.syms[i].start < r.syms[j].start })
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD {
			r.loads = append(r.loads, p.ProgHeader)
		}
	}
	mf, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer mf.Close()
	real, _ := filepath.EvalSymlinks(exe)
	sc := bufio.NewScanner(mf)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[5] != real {
			continue
		}
		lo, hi, _ := strings.Cut(fs[0], "-")
		var m mapping
		m.start, _ = strconv.ParseUint(lo, 16, 64)
		m.end, _ = strconv.ParseUint(hi, 16, 64)
		m.off, _ = strconv.ParseUint(fs[2], 16, 64)
		r.maps = append(r.maps, m)
	}
	if len(r.maps) == 0 {
		tb.Fatalf("no mapping of %s in process %d", real, pid)
	}
	return r
}

// elfFuncs returns the functions of f's symbol table, or of its Go line
// table when it has none (go test strips its binaries).
func elfFuncs(tb testing.TB, f *elf.File) []funcSym {
	var fns []funcSym
	syms, err := f.Symbols()
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value != 0 {
			fns = append(fns, funcSym{s.Name, s.Value, s.Value + s.Size})
		}
	}
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if err == nil || pcln == nil || text == nil {
		return fns
	}
	data, err := pcln.Data()
	if err != nil {
		tb.Fatal(err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		tb.Fatal(err)
	}
	for _, fn := range tab.Funcs {
		fns = append(fns, funcSym{fn.Name, fn.Entry, fn.End})
	}
	return fns
}

// Name returns the function holding addr, or "".
func (r *Resolver) Name(addr uint64) string {
	for _, m := range r.maps {
		if addr < m.start || addr >= m.end {
			continue
		}
		off := addr - m.start + m.off
		for _, p := range r.loads {
			if off >= p.Off && off < p.Off+p.Filesz {
				v := off - p.Off + p.Vaddr
				i := sort.Search(len(r.syms), func(i int) bool { return r.syms[i].end > v })
				if i < len(r.syms) && r.syms[i].start <= v {
					return r.syms[i].name
				}
			}
		}
	}
	return ""
}
