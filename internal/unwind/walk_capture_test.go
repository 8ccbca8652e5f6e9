package unwind

import (
	"debug/elf"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// captureSize is how much of a stopped thread's stack a capture copies, as
// the perf backend asks the kernel to.
const captureSize = 16 << 10

// capture is a thread's user registers and a copy of its stack from rsp
// up, as a perf sample with REGS_USER and STACK_USER holds them.
type capture struct {
	regs  Regs
	stack []byte
}

// startWalkProgram builds testdata/walk.c with flags and starts it in mode,
// returning it once it prints "ready".
func startWalkProgram(t testing.TB, mode string, flags ...string) *testenv.Child {
	t.Helper()
	bin := testenv.BuildC(t, "gcc", "walk", []string{"testdata/walk.c"}, flags...)
	c := testenv.StartChild(t, exec.Command(bin, mode))
	c.WaitLine(t, "ready")
	return c
}

// Flags of the two builds of walk.c.
var (
	omitFP = []string{"-O2", "-fomit-frame-pointer"}
	noCFI  = []string{"-O2", "-fno-omit-frame-pointer", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"}
)

// captureStacks stops process pid n times, at random moments a millisecond
// or two apart, with ptrace, and copies its registers and stack each time:
// the same state a perf sample takes, at any instruction.
func captureStacks(t testing.TB, pid, n int) []capture {
	t.Helper()
	runtime.LockOSThread() // ptrace requests come from the tracer thread
	defer runtime.UnlockOSThread()
	if err := unix.PtraceSeize(pid); err != nil {
		testenv.SkipOrFail(t, "ptrace(SEIZE) of child %d: %v (the walker's tests capture stacks with ptrace)", pid, err)
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	var caps []capture
	for len(caps) < n {
		time.Sleep(time.Duration(500+rand.IntN(1500)) * time.Microsecond)
		if err := ptraceStop(pid); err != nil {
			t.Fatal(err)
		}
		var r unix.PtraceRegs
		if err := unix.PtraceGetRegs(pid, &r); err != nil {
			t.Fatal(err)
		}
		caps = append(caps, capture{regs: regsOf(&r), stack: readStack(mem, r.Rsp)})
		if err := unix.PtraceCont(pid, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := ptraceStop(pid); err != nil {
		t.Fatal(err)
	}
	if err := unix.PtraceDetach(pid); err != nil {
		t.Fatal(err)
	}
	return caps
}

// ptraceStop interrupts a seized tracee and waits for it to stop; a signal
// the tracee gets meanwhile is delivered.
func ptraceStop(pid int) error {
	if err := unix.PtraceInterrupt(pid); err != nil {
		return fmt.Errorf("ptrace(INTERRUPT): %w", err)
	}
	for {
		var ws unix.WaitStatus
		if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
			return fmt.Errorf("wait4: %w", err)
		}
		switch {
		case !ws.Stopped():
			return fmt.Errorf("tracee %d ended: %v", pid, ws)
		case ws.StopSignal() == unix.SIGTRAP && ws.TrapCause() == unix.PTRACE_EVENT_STOP:
			return nil
		}
		if err := unix.PtraceCont(pid, int(ws.StopSignal())); err != nil {
			return fmt.Errorf("ptrace(CONT): %w", err)
		}
	}
}

// regsOf turns ptrace's registers into a walk's.
func regsOf(r *unix.PtraceRegs) Regs {
	g := Regs{IP: r.Rip, SP: r.Rsp, BP: r.Rbp, Known: 0xffff}
	g.DWARF = [16]uint64{r.Rax, r.Rdx, r.Rcx, r.Rbx, r.Rsi, r.Rdi, r.Rbp, r.Rsp,
		r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15}
	return g
}

// readStack copies up to captureSize bytes from sp up, a page at a time,
// until the stack's end: the kernel's copy for perf stops there too.
func readStack(mem *os.File, sp uint64) []byte {
	b := make([]byte, captureSize)
	n := 0
	for n < len(b) {
		end := min(len(b), n+int(4096-(sp+uint64(n))%4096))
		m, err := mem.ReadAt(b[n:end], int64(sp)+int64(n))
		n += m
		if err != nil || m == 0 {
			break
		}
	}
	return b[:n]
}

// walkProcesses returns process pid's mappings with their tables, from a
// registry, and the same mappings with none (frame pointers only).
func walkProcesses(t testing.TB, pid int) (cfi, fp *Process) {
	t.Helper()
	r := NewRegistry(Options{})
	t.Cleanup(r.Close)
	p, err := r.AddProcess(uint32(pid), objectsOf(t, pid))
	if err != nil {
		t.Fatal(err)
	}
	fp = &Process{PID: p.PID, Mappings: make([]Mapping, len(p.Mappings))}
	for i, m := range p.Mappings {
		fp.Mappings[i] = Mapping{Start: m.Start, End: m.End}
	}
	return p, fp
}

// symbols names a process's addresses by the ELF symbols (.symtab, else
// .dynsym) of the files it maps, for checking walks: "file:function", or
// "file:?" between symbols.
type symbols struct {
	maps []symMapping
}

type symMapping struct {
	start, end, bias uint64
	file             string
	syms             []elf.Symbol // functions, by address
}

func newSymbols(t testing.TB, pid int) *symbols {
	t.Helper()
	s := &symbols{}
	for _, o := range objectsOf(t, pid) {
		f, err := elf.Open(o.Path)
		if err != nil {
			t.Fatal(err)
		}
		m := symMapping{start: o.Start, end: o.End, file: o.Path[strings.LastIndexByte(o.Path, '/')+1:]}
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && o.Offset >= p.Off&^4095 && o.Offset < p.Off+p.Filesz {
				m.bias = o.Start - o.Offset + p.Off - p.Vaddr
			}
		}
		syms, err := f.Symbols()
		if err != nil || len(syms) == 0 {
			syms, _ = f.DynamicSymbols()
		}
		for _, sym := range syms {
			if elf.ST_TYPE(sym.Info) == elf.STT_FUNC && sym.Value != 0 {
				m.syms = append(m.syms, sym)
			}
		}
		sort.Slice(m.syms, func(i, j int) bool { return m.syms[i].Value < m.syms[j].Value })
		f.Close()
		s.maps = append(s.maps, m)
	}
	return s
}

// name names the frame at index i of a stack: a return address (i > 0)
// is looked up one byte back, inside the call.
func (s *symbols) name(stack []uint64, i int) string {
	addr := stack[i]
	if i > 0 {
		addr--
	}
	for _, m := range s.maps {
		if addr < m.start || addr >= m.end {
			continue
		}
		v := addr - m.bias
		j := sort.Search(len(m.syms), func(j int) bool { return m.syms[j].Value > v }) - 1
		if j >= 0 && v < m.syms[j].Value+max(m.syms[j].Size, 1) {
			return m.file + ":" + m.syms[j].Name
		}
		return m.file + ":?"
	}
	return fmt.Sprintf("%#x", addr)
}

// names names every frame of a stack.
func (s *symbols) names(stack []uint64) []string {
	out := make([]string, len(stack))
	for i := range stack {
		out[i] = s.name(stack, i)
	}
	return out
}
