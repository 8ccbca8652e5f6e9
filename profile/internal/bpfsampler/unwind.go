package bpfsampler

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"unsafe"

	"github.com/cilium/ebpf"

	"github.com/flamekit/flamekit/internal/bpf"
	"github.com/flamekit/flamekit/internal/cfi"
	"github.com/flamekit/flamekit/internal/unwind"
)

const (
	maxTables      = 4096    // slots of unwind_tables (MAX_TABLES in the program)
	maxMappings    = 128     // mappings of a process (MAX_MAPPINGS)
	maxTableWords  = 1 << 24 // words of a table the program bisects in TABLE_STEPS
	noTable        = 0xffffffff
	fillChunk      = 1 << 16 // words written to a table per system call
	processBytes   = int64(unsafe.Sizeof(bpf.ProfileUnwindProcess{}))
	processKeySize = 4
)

// ErrTableTooLarge reports a table the eBPF unwinder cannot hold: more
// entries than it bisects, or an id past its slots. Its processes are
// walked by frame pointers in that file.
var ErrTableTooLarge = errors.New("bpfsampler: unwind table too large for the eBPF unwinder")

// UnwindMemory is the kernel memory of the CFI unwinder's maps.
type UnwindMemory struct {
	// Tables is the number of unwind tables loaded; TableBytes their
	// memory, as the kernel charges it (memlock).
	Tables     int
	TableBytes int64
	// Processes is the number of processes whose mappings are loaded;
	// ProcessBytes their memory (a fixed-size entry each).
	Processes    int
	ProcessBytes int64
}

// tableLoader keeps the CFI unwinder's maps in step with an
// unwind.Registry: it is the registry's unwind.Loader. The registry
// serializes its calls; mu guards the accounting UnwindMemory reads.
type tableLoader struct {
	tables    *ebpf.Map     // unwind_tables: an array of tables, by id
	processes *ebpf.Map     // unwind_processes: mappings by tgid
	inner     *ebpf.MapSpec // a table's map, sized to fit at load

	mu      sync.Mutex
	loaded  map[uint32]loadedTable // by id
	serial  uint32                 // of the last table loaded
	bytes   int64
	process map[uint32]bool // processes set
}

// loadedTable is a table in unwind_tables.
type loadedTable struct {
	bytes int64
	// serial tells this load of the table from other tables loaded
	// under the same id before: the program caches rules by serial.
	serial uint32
}

func newTableLoader(tables, processes *ebpf.Map, inner *ebpf.MapSpec) *tableLoader {
	return &tableLoader{tables: tables, processes: processes, inner: inner, loaded: map[uint32]loadedTable{}, process: map[uint32]bool{}}
}

var _ unwind.Loader = (*tableLoader)(nil)

// LoadTable packs t (cfi.Table.PackWords) into an array of its own and
// puts it in unwind_tables at t.ID.
func (l *tableLoader) LoadTable(t *unwind.Table) error {
	words := t.CFI.PackedWords()
	if t.ID >= maxTables || words > maxTableWords {
		return fmt.Errorf("%w: %s, id %d, %d entries", ErrTableTooLarge, t.Path, t.ID, len(t.CFI.Starts))
	}
	spec := l.inner.Copy()
	spec.Name = "cfi_table"
	spec.MaxEntries = uint32(words)
	m, err := ebpf.NewMap(spec)
	if err != nil {
		return fmt.Errorf("bpfsampler: creating the unwind table of %s: %w", t.Path, err)
	}
	defer m.Close() // unwind_tables holds it
	if err := fill(m, t.CFI); err != nil {
		return fmt.Errorf("bpfsampler: loading the unwind table of %s: %w", t.Path, err)
	}
	bytes := int64(words) * 8
	if info, err := m.Info(); err == nil {
		if n, ok := info.Memlock(); ok {
			bytes = int64(n)
		}
	}
	if err := l.tables.Put(t.ID, m); err != nil {
		return fmt.Errorf("bpfsampler: loading the unwind table of %s: %w", t.Path, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.serial++
	l.bytes += bytes - l.loaded[t.ID].bytes
	l.loaded[t.ID] = loadedTable{bytes: bytes, serial: l.serial}
	return nil
}

// fill writes the packed form of t into the array m, a chunk at a time
// (cfi.Table.PackWords), so that a large table is never copied whole.
func fill(m *ebpf.Map, t *cfi.Table) error {
	n := t.PackedWords()
	keys, words := make([]uint32, min(n, fillChunk)), make([]uint64, min(n, fillChunk))
	for at := 0; at < n; at += len(keys) {
		k, w := keys[:min(len(keys), n-at)], words[:min(len(words), n-at)]
		if err := t.PackWords(w, at); err != nil {
			return err
		}
		for i := range k {
			k[i] = uint32(at + i)
		}
		if _, err := m.BatchUpdate(k, w, nil); err != nil {
			if !errors.Is(err, ebpf.ErrNotSupported) {
				return err
			}
			for i := range k { // kernels before 5.6
				if err := m.Put(k[i], w[i]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// UnloadTable takes t out of unwind_tables; the kernel frees its array
// once no running program holds it.
func (l *tableLoader) UnloadTable(t *unwind.Table) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.loaded[t.ID]; !ok {
		return
	}
	// Deleting an element of an array of maps fails only for a bad key.
	l.tables.Delete(t.ID)
	l.bytes -= l.loaded[t.ID].bytes
	delete(l.loaded, t.ID)
}

// SetProcess writes p's mappings into unwind_processes. A process with
// more than maxMappings keeps those with a table, lowest first.
func (l *tableLoader) SetProcess(p *unwind.Process) error {
	var v bpf.ProfileUnwindProcess
	l.mu.Lock()
	ms := processMappings(p, l.loaded)
	l.mu.Unlock()
	v.Count = uint32(len(ms))
	copy(v.Mappings[:], ms)
	if err := l.processes.Put(p.PID, &v); err != nil {
		return fmt.Errorf("bpfsampler: setting the mappings of process %d: %w", p.PID, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.process[p.PID] = true
	return nil
}

// processMappings returns p's mappings as the program has them, sorted
// by start: at most maxMappings, those with a loaded table first.
func processMappings(p *unwind.Process, loaded map[uint32]loadedTable) []bpf.ProfileUnwindMapping {
	var with, without []bpf.ProfileUnwindMapping
	for _, m := range p.Mappings {
		bm := bpf.ProfileUnwindMapping{Start: m.Start, End: m.End, Bias: m.Bias, Table: noTable}
		if lt, ok := loaded[tableID(m.Table)]; ok && m.Table != nil {
			bm.Table, bm.Serial = m.Table.ID, lt.serial
			with = append(with, bm)
		} else {
			without = append(without, bm)
		}
	}
	ms := append(with, without...)
	ms = ms[:min(len(ms), maxMappings)]
	slices.SortFunc(ms, func(a, b bpf.ProfileUnwindMapping) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	return ms
}

// tableID is t's id, or noTable for none.
func tableID(t *unwind.Table) uint32 {
	if t == nil {
		return noTable
	}
	return t.ID
}

// RemoveProcess deletes pid from unwind_processes (the program may have
// done so at its exit already).
func (l *tableLoader) RemoveProcess(pid uint32) {
	l.processes.Delete(pid)
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.process, pid)
}

// memory returns what the maps hold.
func (l *tableLoader) memory() UnwindMemory {
	l.mu.Lock()
	defer l.mu.Unlock()
	return UnwindMemory{
		Tables: len(l.loaded), TableBytes: l.bytes,
		Processes: len(l.process), ProcessBytes: int64(len(l.process)) * (processBytes + processKeySize),
	}
}

// UnwindMemory returns the memory of the CFI unwinder's maps: zero when
// the sampler was started without Config.Unwind.
func (s *Sampler) UnwindMemory() UnwindMemory {
	if s.loader == nil {
		return UnwindMemory{}
	}
	return s.loader.memory()
}
