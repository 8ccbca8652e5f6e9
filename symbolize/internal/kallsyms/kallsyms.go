package kallsyms

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// ErrAddressesHidden reports a /proc/kallsyms whose addresses are all
// zero: the kernel hides them from this user (kernel.kptr_restrict). Run as
// root (or with CAP_SYSLOG) or set `sysctl kernel.kptr_restrict=0`.
var ErrAddressesHidden = errors.New("kernel addresses are hidden in /proc/kallsyms: run as root (CAP_SYSLOG) or set sysctl kernel.kptr_restrict=0")

// maxSymbolSize bounds how far past its start an address is still taken to
// be inside a kernel symbol: kallsyms has no sizes, and the last symbol
// before a gap (the end of a module, of the kernel text) would otherwise
// claim all of it.
const maxSymbolSize = 1 << 20

// Table names addresses of a kernel, its modules and its BPF programs, as
// kallsyms lists them. It is immutable once parsed and safe for concurrent
// use.
type Table struct {
	syms    []ksym
	names   string   // all names, concatenated
	modules []string // index 0 is the kernel image, ""
}

// Symbol is the kernel function holding an address.
type Symbol struct {
	Name string
	// Module indexes [Table.Modules]: 0 for the kernel image.
	Module int
}

// ksym is a kallsyms line, packed into 16 bytes: its name is a slice of
// Table.names, and info holds the module index (low 12 bits) and the rank
// (rank, high 4 bits; 0 for a symbol that is not a function, which only
// ends the one before it).
type ksym struct {
	addr    uint64
	nameOff uint32
	nameLen uint16
	info    uint16
}

// maxModules bounds the modules a Table tells apart (ksym.info's 12 bits);
// symbols of further modules count as the kernel's.
const maxModules = 1 << 12

func (s ksym) module() uint16 { return s.info & (maxModules - 1) }
func (s ksym) rank() uint8    { return uint8(s.info >> 12) }

// pfxPrefix starts the names kallsyms gives the padding before each
// function on kernels built with function padding (__pfx_NAME, 16 bytes
// before NAME): about half the names of a recent kernel.
const pfxPrefix = "__pfx_"

// Parse parses the format of /proc/kallsyms: lines of "ADDRESS TYPE NAME"
// with an optional "\t[MODULE]" (BPF programs show as
// "bpf_prog_TAG_NAME\t[bpf]"). Functions are the symbols of type t, T, w and
// W; a symbol's size is the distance to the next symbol. At an address with
// several names, a global name is preferred to a local one, a strong one to
// a weak one, and one not starting with '_' to one that does. Malformed
// lines are skipped. If every address is zero, it returns
// [ErrAddressesHidden].
func Parse(r io.Reader) (*Table, error) {
	t := &Table{modules: []string{""}}
	modIndex := map[string]uint16{}
	var names []byte
	prev := -1 // where the last name written starts
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	lines := 0
	for sc.Scan() {
		addr, typ, name, mod, ok := parseLine(sc.Bytes())
		if !ok {
			continue
		}
		lines++
		if addr == 0 {
			continue
		}
		s := ksym{addr: addr, nameLen: uint16(len(name)), info: uint16(rank(typ, name)) << 12}
		if len(mod) > 0 {
			i, ok := modIndex[string(mod)]
			if !ok && len(t.modules) < maxModules {
				i = uint16(len(t.modules))
				modIndex[string(mod)] = i
				t.modules = append(t.modules, string(mod))
			}
			s.info |= i
		}
		// NAME usually follows __pfx_NAME: it is the end of that name.
		if prev >= 0 && len(names)-prev == len(pfxPrefix)+len(name) &&
			string(names[prev:prev+len(pfxPrefix)]) == pfxPrefix && string(names[prev+len(pfxPrefix):]) == string(name) {
			s.nameOff = uint32(prev + len(pfxPrefix))
		} else {
			prev = len(names)
			s.nameOff = uint32(prev)
			names = append(names, name...)
		}
		t.syms = append(t.syms, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kallsyms: %w", err)
	}
	if len(t.syms) == 0 && lines > 0 {
		return nil, ErrAddressesHidden
	}
	t.names = string(names)
	t.syms = dedup(t.syms)
	return t, nil
}

// parseLine splits "ADDRESS TYPE NAME[\t[MODULE]]".
func parseLine(line []byte) (addr uint64, typ byte, name, mod []byte, ok bool) {
	a, rest, ok1 := bytes.Cut(line, []byte{' '})
	t, rest, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || len(t) != 1 {
		return 0, 0, nil, nil, false
	}
	name, mod, _ = bytes.Cut(rest, []byte{'\t'})
	mod = bytes.TrimSpace(mod)
	if len(mod) > 0 {
		if len(mod) < 3 || mod[0] != '[' || mod[len(mod)-1] != ']' {
			return 0, 0, nil, nil, false
		}
		mod = mod[1 : len(mod)-1]
	}
	addr, err := parseHex(a)
	if err != nil || len(name) == 0 || len(name) >= 1<<16 {
		return 0, 0, nil, nil, false
	}
	return addr, t[0], name, mod, true
}

// rank orders the names of one address, higher first; 0 means not a
// function.
func rank(typ byte, name []byte) uint8 {
	var r uint8
	switch typ {
	case 'T':
		r = 4
	case 't':
		r = 3
	case 'W':
		r = 2
	case 'w':
		r = 1
	default:
		return 0
	}
	r *= 2
	if name[0] != '_' {
		r++
	}
	return r
}

// dedup sorts the symbols by address, keeping the best-ranked name
// of each address (the first line of equals), and returns them in a slice
// of their own size.
func dedup(syms []ksym) []ksym {
	slices.SortStableFunc(syms, func(a, b ksym) int { return cmp.Compare(a.addr, b.addr) })
	out := syms[:0]
	for _, s := range syms {
		if n := len(out); n > 0 && out[n-1].addr == s.addr {
			if s.rank() > out[n-1].rank() {
				out[n-1] = s
			}
			continue
		}
		out = append(out, s)
	}
	return slices.Clone(out)
}

// Lookup returns the function holding addr.
func (t *Table) Lookup(addr uint64) (Symbol, bool) {
	i, found := slices.BinarySearchFunc(t.syms, addr, func(s ksym, a uint64) int { return cmp.Compare(s.addr, a) })
	if !found {
		i--
	}
	if i < 0 || t.syms[i].rank() == 0 || addr-t.syms[i].addr >= maxSymbolSize {
		return Symbol{}, false
	}
	s := t.syms[i]
	return Symbol{Name: t.names[s.nameOff : s.nameOff+uint32(s.nameLen)], Module: int(s.module())}, true
}

// Modules returns the names of the modules the symbols are in, as kallsyms
// writes them without their brackets ("xfs", "bpf" for BPF programs),
// indexed by [Symbol.Module]. Index 0, the kernel image, is "".
func (t *Table) Modules() []string { return t.modules }

// parseHex parses a hexadecimal number with an optional 0x or 0X prefix.
func parseHex(b []byte) (uint64, error) {
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	return strconv.ParseUint(string(b), 16, 64)
}
