package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// pltSuffix ends the names lookup gives PLT stubs: "memcpy@plt".
const pltSuffix = "@plt"

// pltSymbols appends a "func@plt" symbol for every x86-64 PLT stub of the
// file (.plt, .plt.sec, .plt.got). Like objdump, it decodes each stub's
// indirect jump (jmp *disp32(%rip), with or without endbr64 and bnd
// prefixes) to find the GOT slot it goes through, and names the stub after
// the dynamic symbol of the relocation (JUMP_SLOT or GLOB_DAT) at that slot.
func pltSymbols(ef *elf.File, cands []symCand) []symCand {
	if ef.Machine != elf.EM_X86_64 || ef.Class != elf.ELFCLASS64 {
		return cands
	}
	var slots map[uint64]string
	for _, name := range []string{".plt", ".plt.sec", ".plt.got"} {
		sec := ef.Section(name)
		if sec == nil || sec.Type != elf.SHT_PROGBITS || sec.Flags&elf.SHF_EXECINSTR == 0 {
			continue
		}
		if slots == nil {
			slots = gotSlots(ef)
			if len(slots) == 0 {
				return cands
			}
		}
		data, err := sec.Data()
		if err != nil {
			continue // a stub table we cannot read names nothing
		}
		ent := uint64(16)
		if sec.Entsize == 8 {
			ent = 8
		}
		for off := uint64(0); off+ent <= uint64(len(data)); off += ent {
			stub := data[off : off+ent]
			i := bytes.Index(stub, []byte{0xff, 0x25})
			if i < 0 || i+6 > len(stub) {
				continue
			}
			disp := int64(int32(binary.LittleEndian.Uint32(stub[i+2:])))
			slot := sec.Addr + off + uint64(i) + 6 + uint64(disp)
			if fn, ok := slots[slot]; ok {
				cands = append(cands, symCand{addr: sec.Addr + off, size: ent, name: fn + pltSuffix, score: rankSized + rankFunc})
			}
		}
	}
	return cands
}

// gotSlots maps GOT addresses to the names of the dynamic symbols their
// JUMP_SLOT and GLOB_DAT relocations bind.
func gotSlots(ef *elf.File) map[uint64]string {
	slots := make(map[uint64]string)
	for _, sec := range ef.Sections {
		if sec.Type != elf.SHT_RELA || int(sec.Link) >= len(ef.Sections) || sec.Link == 0 {
			continue
		}
		symtab := ef.Sections[sec.Link]
		if symtab.Type != elf.SHT_DYNSYM || int(symtab.Link) >= len(ef.Sections) {
			continue
		}
		rel, err1 := sec.Data()
		syms, err2 := symtab.Data()
		strs, err3 := ef.Sections[symtab.Link].Data()
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		bo := ef.ByteOrder
		for off := 0; off+24 <= len(rel); off += 24 {
			info := bo.Uint64(rel[off+8:])
			typ, idx := elf.R_X86_64(info&0xffffffff), info>>32
			if typ != elf.R_X86_64_JMP_SLOT && typ != elf.R_X86_64_GLOB_DAT {
				continue
			}
			if idx == 0 || idx >= uint64(len(syms)/24) {
				continue
			}
			name := uint64(bo.Uint32(syms[idx*24:]))
			if name >= uint64(len(strs)) {
				continue
			}
			n := strs[name:]
			if i := bytes.IndexByte(n, 0); i >= 0 {
				n = n[:i]
			}
			if len(n) > 0 {
				slots[bo.Uint64(rel[off:])] = string(n)
			}
		}
	}
	return slots
}
