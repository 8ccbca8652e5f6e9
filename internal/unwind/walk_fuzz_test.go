package unwind

import (
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/flamekit/flamekit/internal/cfi"
	"github.com/flamekit/flamekit/internal/testenv"
)

// libcPath is Debian's x86-64 libc.
const libcPath = "/lib/x86_64-linux-gnu/libc.so.6"

// fuzzLibcBase is where FuzzWalk's process maps libc.
const fuzzLibcBase = 0x7f0000000000

// libcProcess is a process mapping libc, with its table, at fuzzLibcBase,
// and code without a table at 0x400000.
func libcProcess(f testing.TB) *Process {
	testenv.RequireFile(f, libcPath, "apt-get install libc6")
	e, err := elf.Open(libcPath)
	if err != nil {
		f.Fatal(err)
	}
	defer e.Close()
	tab, err := cfi.Build(e)
	if err != nil {
		f.Fatal(err)
	}
	p := &Process{PID: 1, Mappings: []Mapping{{Start: 0x400000, End: 0x500000}}}
	for _, s := range e.Progs {
		if s.Type == elf.PT_LOAD && s.Flags&elf.PF_X != 0 {
			p.Mappings = append(p.Mappings, Mapping{Start: fuzzLibcBase + s.Vaddr&^4095,
				End: fuzzLibcBase + s.Vaddr + s.Memsz, Bias: fuzzLibcBase, Table: &Table{Path: libcPath, CFI: tab}})
		}
	}
	return p
}

// FuzzWalk walks arbitrary stacks and registers through a process mapping
// libc's real table: the walk never panics, never reads outside the stack,
// stops within MaxDepth with a known reason, and starts at the instruction
// pointer.
func FuzzWalk(f *testing.F) {
	p := libcProcess(f)
	lib := p.Mappings[1]
	// Seeds: return addresses into libc's rules and into code without
	// one, frame pointers up the stack, and a zero return address.
	stack := make([]byte, 256)
	for i := 0; i+8 <= len(stack); i += 8 {
		v := lib.Start + uint64(i)*97
		switch i % 32 {
		case 8:
			v = 0x400100 + uint64(i)
		case 16:
			v = 0x7ffc00000000 + uint64(i) + 16 // a frame pointer up the stack
		}
		binary.LittleEndian.PutUint64(stack[i:], v)
	}
	f.Add(stack, lib.Start+0x1000, uint64(0x7ffc00000000), uint64(0x7ffc00000010))
	f.Add(stack, uint64(0x400123), uint64(0x7ffc00000000), uint64(0x7ffc00000010))
	f.Add(stack[:24], lib.Start+0x2345, uint64(0x7ffc00000000), uint64(0))
	f.Add([]byte{}, uint64(0), uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, stack []byte, ip, sp, bp uint64) {
		regs := Regs{IP: ip, SP: sp, BP: bp, Known: 0xffff}
		for i := range regs.DWARF {
			regs.DWARF[i] = sp + uint64(i)*8
		}
		pcs, out := Walk(p, &regs, stack, make([]uint64, 0, MaxDepth))
		stop := out.Stop
		if len(pcs) > MaxDepth || stop > StopDepth || int(out.NoRule)+int(out.Unsupported) > len(pcs) ||
			(ip != 0 && pcs[0] != ip) || (ip == 0 && len(pcs) != 0) {
			t.Fatalf("walk of ip %#x: %d frames %x, stop %v", ip, len(pcs), pcs, stop)
		}
		// A frame-pointer chain made of the stack's words, as a kernel's
		// would be, to complete the walk with.
		chain := []uint64{ip}
		for i := 0; i+8 <= len(stack) && len(chain) < 2*MaxDepth; i += 8 {
			chain = append(chain, binary.LittleEndian.Uint64(stack[i:]))
		}
		more, ok := Continue(p, pcs, out, &regs, stack, chain)
		if len(more) > MaxDepth || (!ok && len(more) != len(pcs)) || (ok && (out.LostFP == 0 || len(more) <= len(pcs))) {
			t.Fatalf("continue of %d frames (lost fp %#x) with %d: %d frames, %t", len(pcs), out.LostFP, len(chain), len(more), ok)
		}
	})
}
