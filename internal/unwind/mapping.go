package unwind

import (
	"io"
	"sort"

	"github.com/flamekit/flamekit/internal/cfi"
)

// Object is one executable file mapping of a process, as a snapshot of the
// process sees it.
type Object struct {
	Start, End, Offset uint64 // the mapping, as /proc/PID/maps has it
	// Path is the file as the process saw it ("[vdso]" for the vDSO),
	// for messages.
	Path string
	// Key identifies the file's contents: equal keys, equal bytes. An
	// empty key is never shared.
	Key string
	// File is the file's bytes; nil when it could not be opened (the
	// mapping is then walked by frame pointers).
	File io.ReaderAt
}

// Table is the unwind table of one file, shared by every process that maps
// it.
type Table struct {
	// ID is unique among the tables a Registry holds, and reused after a
	// table is released; it is below Options.MaxTables, so a loader can
	// index an array of tables with it.
	ID   uint32
	Key  string
	Path string // the first path it was seen under, for messages
	// CFI is the table's rules; nil when a Loader holds them (they were
	// let go of in user space once it loaded them).
	CFI *cfi.Table
	// Words is the size of the rules packed (cfi.Table.PackedWords), kept
	// when CFI is let go of.
	Words int
}

// Mapping is an executable mapping of a process and how to unwind in it.
type Mapping struct {
	Start, End uint64
	// Bias is the mapping's load bias: the file's own address of a
	// process's address a is a - Bias.
	Bias uint64
	// Table is the file's unwind table; nil where there is none (no call
	// frame information, anonymous or JIT code, over the budget): frame
	// pointers there.
	Table *Table
}

// Process is the executable mappings of one process, sorted by Start. It
// is never changed once AddProcess returns it; an exec gives a new one.
type Process struct {
	PID      uint32
	Mappings []Mapping
	// Pending marks the mappings AddProcess publishes while it builds
	// tables: those of the files it has read already, none for the
	// others. A walker that can wait (the perf backend holds its samples)
	// should wait for the whole one; one that cannot (the eBPF program)
	// walks with these.
	Pending bool
}

// Find returns the mapping holding addr.
func (p *Process) Find(addr uint64) (*Mapping, bool) {
	ms := p.Mappings
	i := sort.Search(len(ms), func(i int) bool { return ms[i].End > addr })
	if i == len(ms) || ms[i].Start > addr {
		return nil, false
	}
	return &ms[i], true
}
