package symbolize

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/flamekit/flamekit/symbolize/internal/kallsyms"
)

// ErrKernelAddressesHidden reports a /proc/kallsyms whose addresses are all
// zero: the kernel hides them from this user (kernel.kptr_restrict). Run as
// root (or with CAP_SYSLOG) or set `sysctl kernel.kptr_restrict=0`.
var ErrKernelAddressesHidden = kallsyms.ErrAddressesHidden

// KernelPath is the Module.Path of frames in the kernel image itself.
const KernelPath = "[kernel.kallsyms]"

// kernel names addresses of the running kernel, its modules and its BPF
// programs. It is safe for concurrent use.
type kernel struct {
	syms    *kallsyms.Table
	modules []Module // by kallsyms module index; 0 is the kernel image
}

// loadKernel reads /proc/kallsyms, and the build-ids of the kernel and its
// modules from /sys. It fails with ErrKernelAddressesHidden when this user
// may not see the kernel's addresses.
func loadKernel() (*kernel, error) {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil, fmt.Errorf("symbolize: %w", err)
	}
	defer f.Close()
	syms, err := kallsyms.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("symbolize: %w", err)
	}
	return newKernel(syms, readBuildIDNote), nil
}

// newKernel names the modules of syms: "[kernel.kallsyms]", then "[MODULE]"
// ("[bpf]" for BPF programs), with the build-ids buildID reads from their
// notes in /sys.
func newKernel(syms *kallsyms.Table, buildID func(notes string) string) *kernel {
	names := syms.Modules()
	k := &kernel{syms: syms, modules: make([]Module, len(names))}
	k.modules[0] = Module{Path: KernelPath, BuildID: buildID("/sys/kernel/notes")}
	for i := 1; i < len(names); i++ {
		k.modules[i] = Module{Path: "[" + names[i] + "]", BuildID: buildID("/sys/module/" + names[i] + "/notes/.note.gnu.build-id")}
	}
	return k
}

// lookup returns the frame of the kernel function holding addr, or a
// KindUnknown frame in the kernel image. Its Offset is addr itself (as for
// every kernel frame) and Module.Path is KernelPath, "[MODULE]" for a
// module or "[bpf]" for a BPF program.
func (k *kernel) lookup(addr uint64) Frame {
	s, ok := k.syms.Lookup(addr)
	if !ok {
		return Frame{Module: k.modules[0], Offset: addr}
	}
	return Frame{Function: s.Name, Module: k.modules[s.Module], Offset: addr, Kind: KindKernel}
}

// readBuildIDNote returns the hex GNU build-id in a file of raw native-endian
// ELF notes such as /sys/kernel/notes, or "" if it has none or cannot be
// read.
func readBuildIDNote(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return gnuBuildID(b, binary.NativeEndian)
}
