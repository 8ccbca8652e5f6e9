package symbolize

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// ErrKernelAddressesHidden reports a /proc/kallsyms whose addresses are all
// zero: the kernel hides them from this user (kernel.kptr_restrict). Run as
// root (or with CAP_SYSLOG) or set `sysctl kernel.kptr_restrict=0`.
var ErrKernelAddressesHidden = errors.New("symbolize: kernel addresses are hidden in /proc/kallsyms: run as root (CAP_SYSLOG) or set sysctl kernel.kptr_restrict=0")

// KernelPath is the Module.Path of frames in the kernel image itself.
const KernelPath = "[kernel.kallsyms]"

// maxKernelSym bounds how far past its start an address is still taken to be
// inside a kernel symbol: kallsyms has no sizes, and the last symbol before
// a gap (the end of a module, of the kernel text) would otherwise claim all
// of it.
const maxKernelSym = 1 << 20

// Kernel names addresses of the running kernel, its modules and its BPF
// programs from /proc/kallsyms. It is safe for concurrent use.
type Kernel struct {
	// BuildID is the kernel's hex GNU build-id from /sys/kernel/notes, ""
	// when unknown.
	BuildID string
	syms    []ksym
	names   string   // all names, concatenated
	modules []Module // index 0 is the kernel image
}

// ksym is a kallsyms line, packed into 16 bytes: its name is a slice of
// Kernel.names, and info holds the module index (low 12 bits) and the rank
// (kallsymsRank, high 4 bits; 0 for a symbol that is not a function, which
// only ends the one before it).
type ksym struct {
	addr    uint64
	nameOff uint32
	nameLen uint16
	info    uint16
}

// maxKernelModules bounds the modules a Kernel tells apart (ksym.info's
// 12 bits); symbols of further modules count as the kernel's.
const maxKernelModules = 1 << 12

func (s ksym) module() uint16 { return s.info & (maxKernelModules - 1) }
func (s ksym) rank() uint8    { return uint8(s.info >> 12) }

// pfxPrefix starts the names kallsyms gives the padding before each
// function on kernels built with function padding (__pfx_NAME, 16 bytes
// before NAME): about half the names of a recent kernel.
const pfxPrefix = "__pfx_"

// LoadKernel reads /proc/kallsyms and the build-ids of the kernel and its
// modules from /sys. It fails with ErrKernelAddressesHidden when this user
// may not see the kernel's addresses.
func LoadKernel() (*Kernel, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil, fmt.Errorf("symbolize: %w", err)
	}
	defer f.Close()
	k, err := ParseKallsyms(f)
	if err != nil {
		return nil, err
	}
	k.BuildID = readBuildIDNote("/sys/kernel/notes")
	k.modules[0].BuildID = k.BuildID
	for i := 1; i < len(k.modules); i++ {
		mod := strings.Trim(k.modules[i].Path, "[]")
		k.modules[i].BuildID = readBuildIDNote("/sys/module/" + mod + "/notes/.note.gnu.build-id")
	}
	return k, nil
}

// ParseKallsyms parses the format of /proc/kallsyms: lines of
// "ADDRESS TYPE NAME" with an optional "\t[MODULE]" (BPF programs show as
// "bpf_prog_TAG_NAME\t[bpf]"). Functions are the symbols of type t, T, w and
// W; a symbol's size is the distance to the next symbol. At an address with
// several names, a global name is preferred to a local one, a strong one to
// a weak one, and one not starting with '_' to one that does. Malformed
// lines are skipped. If every address is zero, it returns
// ErrKernelAddressesHidden.
func ParseKallsyms(r io.Reader) (*Kernel, error) {
	k := &Kernel{modules: []Module{{Path: KernelPath}}}
	modIndex := map[string]uint16{}
	var names []byte
	prev := -1 // where the last name written starts
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	lines := 0
	for sc.Scan() {
		addr, typ, name, mod, ok := parseKallsymsLine(sc.Bytes())
		if !ok {
			continue
		}
		lines++
		if addr == 0 {
			continue
		}
		s := ksym{addr: addr, nameLen: uint16(len(name)), info: uint16(kallsymsRank(typ, name)) << 12}
		if len(mod) > 0 {
			i, ok := modIndex[string(mod)]
			if !ok && len(k.modules) < maxKernelModules {
				i = uint16(len(k.modules))
				modIndex[string(mod)] = i
				k.modules = append(k.modules, Module{Path: "[" + string(mod) + "]"})
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
		k.syms = append(k.syms, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("symbolize: kallsyms: %w", err)
	}
	if len(k.syms) == 0 && lines > 0 {
		return nil, ErrKernelAddressesHidden
	}
	k.names = string(names)
	k.syms = dedupKallsyms(k.syms)
	return k, nil
}

// parseKallsymsLine splits "ADDRESS TYPE NAME[\t[MODULE]]".
func parseKallsymsLine(line []byte) (addr uint64, typ byte, name, mod []byte, ok bool) {
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

// kallsymsRank orders the names of one address, higher first; 0 means not
// a function.
func kallsymsRank(typ byte, name []byte) uint8 {
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

// dedupKallsyms sorts the symbols by address, keeping the best-ranked name
// of each address (the first line of equals), and returns them in a slice
// of their own size.
func dedupKallsyms(syms []ksym) []ksym {
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

// Lookup returns the frame of the kernel function holding addr. Its Offset
// is addr itself (as for every kernel frame) and Module.Path is
// KernelPath, "[MODULE]" for a module or "[bpf]" for a BPF program.
func (k *Kernel) Lookup(addr uint64) (Frame, bool) {
	i, found := slices.BinarySearchFunc(k.syms, addr, func(s ksym, a uint64) int { return cmp.Compare(s.addr, a) })
	if !found {
		i--
	}
	if i < 0 || k.syms[i].rank() == 0 || addr-k.syms[i].addr >= maxKernelSym {
		return Frame{}, false
	}
	s := k.syms[i]
	return Frame{
		Function: k.names[s.nameOff : s.nameOff+uint32(s.nameLen)],
		Module:   k.modules[s.module()],
		Offset:   addr,
		Kind:     KindKernel,
	}, true
}
