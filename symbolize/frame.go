package symbolize

// Kind says where a frame's name came from.
type Kind uint8

// The kinds of frame.
const (
	KindUnknown Kind = iota // no name: Module and Offset still say where the address is
	KindNative              // an ELF symbol table or DWARF
	KindGo                  // a Go pclntab
	KindKernel              // kallsyms, a kernel module or a BPF program
	KindJIT                 // a perf map or a jitdump
)

// String returns the kind's name: "unknown", "native", "go", "kernel", "jit".
func (k Kind) String() string {
	switch k {
	case KindNative:
		return "native"
	case KindGo:
		return "go"
	case KindKernel:
		return "kernel"
	case KindJIT:
		return "jit"
	}
	return "unknown"
}

// Module identifies the file (or kernel module, or JIT source) an address
// belongs to.
type Module struct {
	Path    string // path as the process saw it, "[kernel.kallsyms]", "[vdso]", "[module]", or a perf map / jitdump path
	BuildID string // hex GNU build-id, "" when the file has none
}

// Frame is one function activation at an address. An address inside inlined
// code yields several frames, innermost first; all but the last have Inlined
// set.
type Frame struct {
	Function string // demangled unless raw names were asked for; "" when unknown
	File     string // source file, "" when unknown
	Line     int    // source line, 0 when unknown
	Column   int    // source column, 0 when unknown
	Inlined  bool   // this frame was inlined into the next one
	Module   Module
	// Offset is the address's offset in the module: the file offset for
	// files, the address for the kernel, the code offset for JIT code. With
	// Module it lets an unnamed address be symbolized later or elsewhere.
	Offset uint64
	Kind   Kind
}
