package unwind

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"slices"

	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/cfi"
)

// captures is how many stops of a test program each test walks.
const captures = 200

// walked is a capture's walk: its frames' names and how it went.
type walked struct {
	names []string
	Outcome
}

func (w walked) String() string {
	return fmt.Sprintf("%s [%v, %d frames without a rule]", strings.Join(w.names, " <- "), w.Stop, w.NoRule)
}

// walkCaptures walks every capture through p.
func walkCaptures(caps []capture, p *Process, s *symbols) []walked {
	ws := make([]walked, len(caps))
	buf := make([]uint64, 0, MaxDepth)
	for i, c := range caps {
		pcs, out := Walk(p, &c.regs, c.stack, buf[:0])
		ws[i] = walked{s.names(pcs), out}
	}
	return ws
}

// program returns the names of the walk program's own frames in a walk,
// without the file prefix.
func (w walked) program() []string {
	var fs []string
	for _, n := range w.names {
		if f, ok := strings.CutPrefix(n, "walk:"); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

// isChainEnd reports whether fs is the end of chain: the program's frames
// from the leaf's up to _start.
func isChainEnd(fs, chain []string) bool {
	return len(fs) > 0 && len(fs) <= len(chain) && slices.Equal(fs, chain[len(chain)-len(fs):])
}

// count returns how many walks ok accepts, logging up to three others.
func count(t *testing.T, what string, ws []walked, ok func(walked) bool) int {
	t.Helper()
	n, shown := 0, 0
	for _, w := range ws {
		if ok(w) {
			n++
		} else if shown < 3 {
			shown++
			t.Logf("%s: %v", what, w)
		}
	}
	return n
}

// TestWalkOmitFramePointer walks stops of -O2 -fomit-frame-pointer code at
// any instruction of main -> outer -> inner, prologues and epilogues
// included: every walk must be whole, each function under its caller down
// to _start; a frame-pointer walk of the same stacks is not.
func TestWalkOmitFramePointer(t *testing.T) {
	c := startWalkProgram(t, "nested", omitFP...)
	pid := c.Process.Pid
	withCFI, fpOnly := walkProcesses(t, pid)
	syms := newSymbols(t, pid)
	caps := captureStacks(t, pid, captures)
	chain := []string{"inner", "outer", "main", "_start"}
	whole := func(w walked) bool { return w.Stop == StopEnd && isChainEnd(w.program(), chain) }
	got := count(t, "cfi", walkCaptures(caps, withCFI, syms), func(w walked) bool { return whole(w) && w.NoRule == 0 })
	fp := count(t, "frame pointers", walkCaptures(caps, fpOnly, syms), whole)
	t.Logf("%d stops: %d walked whole with call frame information, %d with frame pointers", len(caps), got, fp)
	if got != len(caps) || fp > len(caps)/2 {
		t.Errorf("whole walks: %d of %d with call frame information, want all; %d with frame pointers, want few", got, len(caps), fp)
	}
}

// TestWalkQsortComparator walks stops of a comparator qsort calls: through
// libc's frames back to the caller of qsort and main.
func TestWalkQsortComparator(t *testing.T) {
	c := startWalkProgram(t, "qsort", omitFP...)
	pid := c.Process.Pid
	withCFI, fpOnly := walkProcesses(t, pid)
	syms := newSymbols(t, pid)
	caps := captureStacks(t, pid, captures)
	chain := []string{"compare", "sort_many", "main", "_start"}
	var inCompare int
	throughQsort := func(w walked) bool {
		fs := w.program()
		if w.Stop != StopEnd || !isChainEnd(fs, chain) {
			return false
		}
		if fs[0] != "compare" {
			return true // in qsort itself
		}
		inCompare++
		i := slices.Index(w.names, "walk:sort_many")
		return i > 1 && strings.HasPrefix(w.names[i-1], "libc.so.6:") // qsort's frames between
	}
	got := count(t, "cfi", walkCaptures(caps, withCFI, syms), throughQsort)
	fp := count(t, "frame pointers", walkCaptures(caps, fpOnly, syms), throughQsort)
	t.Logf("%d stops, %d in compare: %d walked whole with call frame information, %d with frame pointers", len(caps), inCompare/2, got, fp)
	if got != len(caps) || inCompare < len(caps)/4 || fp > len(caps)/2 {
		t.Errorf("whole walks through qsort: %d of %d with call frame information (%d in compare), want all; %d with frame pointers, want few",
			got, len(caps), inCompare/2, fp)
	}
}

// TestWalkSignalFrame walks stops of a signal handler: through glibc's
// signal trampoline to the frames the signal interrupted, up to main.
func TestWalkSignalFrame(t *testing.T) {
	c := startWalkProgram(t, "signal", omitFP...)
	pid := c.Process.Pid
	withCFI, _ := walkProcesses(t, pid)
	syms := newSymbols(t, pid)
	caps := captureStacks(t, pid, captures)
	chain := []string{"inner", "outer", "handler", "outer_signal", "main", "_start"}
	// The frame under the handler's is glibc's signal trampoline
	// (__restore_rt, not in libc's dynamic symbols): its rule says so.
	trampoline := func(pc uint64) bool {
		m, ok := withCFI.Find(pc)
		if !ok || m.Table == nil {
			return false
		}
		r, ok := m.Table.CFI.Lookup(pc - 1 - m.Bias)
		return ok && r.Signal && r.CFA == cfi.CFADerefRSP
	}
	buf := make([]uint64, 0, MaxDepth)
	got, shown := 0, 0
	for _, c := range caps {
		pcs, out := Walk(withCFI, &c.regs, c.stack, buf[:0])
		w := walked{syms.names(pcs), out}
		i := slices.Index(w.names, "walk:handler")
		if w.Stop == StopEnd && isChainEnd(w.program(), chain) && i >= 0 && i+1 < len(pcs) && trampoline(pcs[i+1]) {
			got++
		} else if shown < 3 {
			shown++
			t.Logf("cfi: %v", w)
		}
	}
	t.Logf("%d stops: %d walked whole through the signal frame", len(caps), got)
	if got != len(caps) {
		t.Errorf("%d of %d stops walked whole through the signal frame, want all", got, len(caps))
	}
}

// TestWalkFramePointersWithoutCFI walks code with frame pointers and no call
// frame information, calling libc's qsort, which has call frame information
// and no frame pointers, calling back: the walk switches from one to the
// other and back.
func TestWalkFramePointersWithoutCFI(t *testing.T) {
	c := startWalkProgram(t, "qsort", noCFI...)
	pid := c.Process.Pid
	withCFI, _ := walkProcesses(t, pid)
	syms := newSymbols(t, pid)
	caps := captureStacks(t, pid, captures)
	// The program's functions have no rule: frame pointers there.
	for _, m := range withCFI.Mappings {
		if m.Table != nil && strings.HasSuffix(m.Table.Path, "/walk") {
			for _, f := range syms.maps {
				for _, s := range f.syms {
					if f.file == "walk" && s.Name == "compare" {
						if r, ok := m.Table.CFI.Lookup(s.Value); ok {
							t.Fatalf("compare has a rule, %v: the build left call frame information", r)
						}
					}
				}
			}
		}
	}
	chain := []string{"compare", "sort_many", "main", "_start"}
	// whole accepts walks of the chain, by frame pointers in the
	// program but for the frames of _start, which has a rule in the
	// program's mapping.
	whole := func(startRule bool) func(w walked) bool {
		return func(w walked) bool {
			fs := w.program()
			i := slices.Index(w.names, "walk:sort_many")
			byFP := len(fs)
			if startRule {
				byFP--
			}
			return w.Stop == StopEnd && isChainEnd(fs, chain) && int(w.NoRule) == byFP &&
				(fs[0] != "compare" || i > 1 && strings.HasPrefix(w.names[i-1], "libc.so.6:"))
		}
	}
	got := count(t, "mixed", walkCaptures(caps, withCFI, syms), whole(true))
	// The same with the program's code in no mapping, as JIT code in an
	// anonymous mapping is: frame pointers there too.
	unlisted := &Process{PID: withCFI.PID}
	for _, m := range withCFI.Mappings {
		if m.Table == nil || !strings.HasSuffix(m.Table.Path, "/walk") {
			unlisted.Mappings = append(unlisted.Mappings, m)
		}
	}
	anon := count(t, "unlisted", walkCaptures(caps, unlisted, syms), whole(false))
	t.Logf("%d stops: %d walked whole, %d with the program in no mapping", len(caps), got, anon)
	// A stop in compare's prologue or epilogue, before its frame pointer
	// is set or after it is restored, finds compare's caller from rsp.
	if got < len(caps)*99/100 || anon < len(caps)*99/100 || len(unlisted.Mappings) == len(withCFI.Mappings) {
		t.Errorf("%d and %d (the program in no mapping) of %d stops walked whole, want ≥99%%", got, anon, len(caps))
	}
}

// TestWalkLeafWithoutFramePointer walks stops of functions with frame
// pointers spending their time in libc functions without (read, in the
// kernel; memcpy): the leaf's caller is found by the leaf's rule, where a
// frame-pointer walk skips it.
func TestWalkLeafWithoutFramePointer(t *testing.T) {
	for mode, caller := range map[string]string{"read": "walk:read_zeros", "memcpy": "walk:copy_big"} {
		t.Run(mode, func(t *testing.T) {
			c := startWalkProgram(t, mode, omitFP...)
			pid := c.Process.Pid
			withCFI, fpOnly := walkProcesses(t, pid)
			syms := newSymbols(t, pid)
			caps := captureStacks(t, pid, captures)
			var inLibc int
			above := func(w walked) bool {
				if !strings.HasPrefix(w.names[0], "libc.so.6:") {
					return false
				}
				inLibc++
				return len(w.names) > 1 && w.names[1] == caller && w.Stop == StopEnd && slices.Contains(w.names, "walk:main")
			}
			got := count(t, "cfi", walkCaptures(caps, withCFI, syms), above)
			fp := count(t, "frame pointers", walkCaptures(caps, fpOnly, syms), above)
			inLibc /= 2
			t.Logf("%d stops, %d in libc: %s above the leaf in %d with call frame information, %d with frame pointers",
				len(caps), inLibc, caller, got, fp)
			if inLibc < len(caps)/2 || got < inLibc*95/100 || fp > inLibc/20 {
				t.Errorf("%d stops, %d in libc: %s above the leaf in %d with call frame information, want ≥95%%; "+
					"%d with frame pointers, want the defect (≤5%%)", len(caps), inLibc, caller, got, fp)
			}
		})
	}
}

// TestWalkPLT walks from the two states of a PLT entry of the walk
// program, by its real table: before the entry pushes the relocation index
// (the return address at rsp) and after (above it), as a stop in the entry
// finds them.
func TestWalkPLT(t *testing.T) {
	c := startWalkProgram(t, "nested", omitFP...)
	pid := c.Process.Pid
	withCFI, _ := walkProcesses(t, pid)
	syms := newSymbols(t, pid)
	bin, err := elf.Open(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	plt := bin.Section(".plt")
	if plt == nil {
		t.Fatal("the walk program has no .plt")
	}
	var exe *Mapping
	for i, m := range withCFI.Mappings {
		if m.Table != nil && m.Table.Path == c.Path {
			exe = &withCFI.Mappings[i]
		}
	}
	if exe == nil {
		t.Fatalf("no mapping of %s with a table", c.Path)
	}
	var ra uint64 // a return address in main
	for _, m := range syms.maps {
		for _, s := range m.syms {
			if m.file == "walk" && s.Name == "main" {
				ra = m.bias + s.Value + 8
			}
		}
	}
	entry := exe.Bias + plt.Addr + 16 // the first entry after PLT0
	const sp = 0x7ffc00001000
	for _, st := range []struct {
		ip    uint64
		stack []uint64
	}{
		{entry, []uint64{ra}},         // jmp *GOT: nothing pushed yet
		{entry + 11, []uint64{2, ra}}, // jmp PLT0: the index pushed
	} {
		if r, ok := exe.Table.CFI.Lookup(st.ip - exe.Bias); !ok || r.CFA != cfi.CFAPLT {
			t.Fatalf("rule at %#x: %v, want the PLT's", st.ip-exe.Bias, r)
		}
		stack := make([]byte, 8*len(st.stack))
		for i, v := range st.stack {
			binary.LittleEndian.PutUint64(stack[8*i:], v)
		}
		pcs, out := Walk(withCFI, &Regs{IP: st.ip, SP: sp, BP: 1}, stack, nil)
		if len(pcs) < 2 || pcs[1] != ra || out.Stop != StopTruncated {
			t.Errorf("walk from PLT entry +%d: %x (%v), want main's return address %#x, then the end of the copy",
				st.ip-entry, pcs, out.Stop, ra)
		}
	}
}

// TestWalkOtherRegisterCFA walks from the addresses of libc whose rule
// keeps the CFA in a register other than rsp and rbp (glibc's __longjmp and
// setcontext: rdi or rdx, the return address in rdx or above the CFA), by
// libc's real table: in the first frame, with the registers known, the
// return address is found by the rule; without them, the frame is walked
// by frame pointers instead.
func TestWalkOtherRegisterCFA(t *testing.T) {
	p := libcProcess(t)
	lib := p.Mappings[1]
	tab := lib.Table.CFI
	const sp = 0x7ffc00001000
	ra := lib.Start + 0x100 // a return address into libc
	cfa := uint64(sp + 64)
	tested := 0
	for i, start := range tab.Starts {
		rule := tab.Rules[tab.IDs[i]]
		if rule.CFA != cfi.CFAOtherRegister || (i > 0 && tab.IDs[i-1] == tab.IDs[i]) {
			continue
		}
		tested++
		stack := make([]byte, 512)
		regs := Regs{IP: lib.Bias + start, SP: sp, Known: 0xffff}
		regs.DWARF[rule.CFAReg] = cfa - uint64(int64(rule.CFAOffset))
		switch rule.RA.Kind {
		case cfi.SaveAtCFA:
			binary.LittleEndian.PutUint64(stack[cfa+uint64(int64(rule.RA.Offset))-sp:], ra)
		case cfi.SaveInRegister:
			regs.DWARF[rule.RA.Offset] = ra
		default:
			t.Fatalf("rule %v: a return address this test does not place", rule)
		}
		pcs, out := Walk(p, &regs, stack, nil)
		if len(pcs) < 2 || pcs[1] != ra || out.NoRule+out.Unsupported != 0 {
			t.Errorf("rule %v at %#x: walked %x (%+v), want the return address %#x by the rule", rule, start, pcs, out, ra)
		}
		regs.Known = 0
		pcs, out = Walk(p, &regs, stack, nil)
		if out.Unsupported != 1 || len(pcs) != 1 || out.Stop != StopEnd {
			t.Errorf("rule %v without the register: walked %x (%+v), want the frame by frame pointers (rbp 0: the end)", rule, pcs, out)
		}
	}
	if tested == 0 {
		t.Fatalf("no rule with the CFA in another register in %s", libcPath)
	}
	t.Logf("%d rules with the CFA in another register", tested)
}
