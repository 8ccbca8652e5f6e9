package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"math"
)

// pltSuffix ends the names lookup gives PLT stubs: "memcpy@plt".
const pltSuffix = "@plt"

// addPLT adds a "func@plt" symbol for every x86-64 PLT stub of the
// file (.plt, .plt.sec, .plt.got). Like objdump, it decodes each stub's
// indirect jump (jmp *disp32(%rip), with or without endbr64 and bnd
// prefixes) to find the GOT slot it goes through, and names the stub after
// the dynamic symbol of the relocation (JUMP_SLOT or GLOB_DAT) at that slot.
func (b *symBuilder) addPLT(ef *elf.File) {
	if ef.Machine != elf.EM_X86_64 || ef.Class != elf.ELFCLASS64 || len(b.strs) >= maxSymSources {
		return
	}
	var names []byte // the stubs' names, a string table of their own
	srcIdx := uint8(len(b.strs))
	defer func() {
		if len(names) > 0 {
			b.addStrings(bytes.Clone(names), true, false) // exact size: kept for the table's life
		}
	}()
	var slots map[uint64]string
	for _, name := range []string{".plt", ".plt.sec", ".plt.got"} {
		sec := ef.Section(name)
		if sec == nil || sec.Type != elf.SHT_PROGBITS || sec.Flags&elf.SHF_EXECINSTR == 0 {
			continue
		}
		if slots == nil {
			slots = gotSlots(ef)
			if len(slots) == 0 {
				return
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
			if fn, ok := slots[slot]; ok && len(names)+len(fn)+len(pltSuffix)+1 <= math.MaxUint32 {
				b.cands = append(b.cands, symCand{
					addr: sec.Addr + off, size: uint32(ent), nameOff: uint32(len(names)), nameLen: uint32(len(fn) + len(pltSuffix)),
					src: srcIdx, score: rankSized + rankFunc,
				})
				names = append(append(append(names, fn...), pltSuffix...), 0)
			}
		}
	}
}

// gotSlots maps GOT addresses to the names of the dynamic symbols their
// JUMP_SLOT and GLOB_DAT relocations bind. It reads .rela.plt, and .rela.dyn
// only when there is a .plt.got (.rela.dyn is large in big PIE binaries), and
// reads just the symbols and names those relocations use.
func gotSlots(ef *elf.File) map[uint64]string {
	slots := make(map[uint64]string)
	for _, sec := range ef.Sections {
		if sec.Type != elf.SHT_RELA || int(sec.Link) >= len(ef.Sections) || sec.Link == 0 {
			continue
		}
		if sec.Name != ".rela.plt" && (sec.Name != ".rela.dyn" || ef.Section(".plt.got") == nil) {
			continue
		}
		symtab := ef.Sections[sec.Link]
		if symtab.Type != elf.SHT_DYNSYM || int(symtab.Link) >= len(ef.Sections) {
			continue
		}
		strtab := ef.Sections[symtab.Link]
		if symtab.ReaderAt == nil || strtab.ReaderAt == nil {
			continue // compressed: never so in a real file
		}
		rel, err := sec.Data()
		if err != nil {
			continue
		}
		bo := ef.ByteOrder
		var sym [24]byte
		for off := 0; off+24 <= len(rel); off += 24 {
			info := bo.Uint64(rel[off+8:])
			typ, idx := elf.R_X86_64(info&0xffffffff), info>>32
			if typ != elf.R_X86_64_JMP_SLOT && typ != elf.R_X86_64_GLOB_DAT {
				continue
			}
			if idx == 0 || idx >= symtab.Size/24 {
				continue
			}
			if _, err := symtab.ReadAt(sym[:], int64(idx*24)); err != nil {
				continue
			}
			if name := cstringAt(strtab, uint64(bo.Uint32(sym[:]))); name != "" {
				slots[bo.Uint64(rel[off:])] = name
			}
		}
	}
	return slots
}

// maxSymbolName bounds the names cstringAt reads.
const maxSymbolName = 1 << 16

// cstringAt reads the NUL-terminated string at off in a string table section,
// "" when it is out of bounds or longer than maxSymbolName.
func cstringAt(sec *elf.Section, off uint64) string {
	var out []byte
	buf := make([]byte, 128)
	for off < sec.Size && len(out) < maxSymbolName {
		n, _ := sec.ReadAt(buf[:min(uint64(len(buf)), sec.Size-off)], int64(off))
		if n == 0 {
			return ""
		}
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return string(append(out, buf[:i]...))
		}
		out = append(out, buf[:n]...)
		off += uint64(n)
	}
	return ""
}
