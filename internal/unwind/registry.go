package unwind

import (
	"debug/elf"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/flamekit/flamekit/internal/cfi"
)

// Defaults of Options.
const (
	DefaultBudget    = 256 << 20 // bytes of tables: every binary of a busy host fits
	DefaultMaxTables = 4096
	DefaultLinger    = 10 * time.Second
)

// Why a mapping has no table, the keys of Stats.NoTable.
const (
	NoTableNoCFI      = "no call frame information"
	NoTableUnreadable = "file not readable"
	NoTableMalformed  = "malformed call frame information"
	NoTableNotLoaded  = "table not loaded"
	NoTableOverBudget = "over the table budget"
	NoTableNoSegment  = "mapping in no loadable segment"
)

// Options bound a Registry.
type Options struct {
	// Budget bounds the bytes of the tables held (cfi.Table.Bytes);
	// 0 means DefaultBudget.
	Budget int64
	// MaxTables bounds the number of tables held; 0 means
	// DefaultMaxTables.
	MaxTables int
	// Linger is how long a table no process maps any more is kept, for
	// the next process of the same file; 0 releases it at once, a
	// negative value means DefaultLinger.
	Linger time.Duration
}

// Stats is what a Registry holds, and what it could not give a table.
type Stats struct {
	Processes int
	Tables    int   // tables held, lingering ones included
	Bytes     int64 // their size
	// NoTable counts the mappings added without a table, by reason (a
	// NoTable constant), since the registry was made.
	NoTable map[string]uint64
}

// Loader is told when tables and processes come and go: the eBPF backend
// keeps its maps in step with it. Calls are made one at a time, in order:
// a table is loaded before the first process that maps it is set, and
// unloaded after the last one is removed. A loader holds what it loads:
// once LoadTable succeeds, the registry lets go of the table's rules
// (Table.CFI is nil), which are megabytes for a big program, and Walk finds
// no rules in its mappings. When the loader is replaced, the tables only
// it held are forgotten, and built again for the next process that maps
// their files.
type Loader interface {
	// LoadTable loads a table; on error, the processes mapping it are
	// set with no table there (frame pointers).
	LoadTable(t *Table) error
	// UnloadTable unloads a table LoadTable loaded.
	UnloadTable(t *Table)
	// SetProcess sets a process's mappings, replacing earlier ones (an
	// exec). On error the process is walked by frame pointers.
	SetProcess(p *Process) error
	// RemoveProcess forgets a process that SetProcess set.
	RemoveProcess(pid uint32)
}

// Registry holds the unwind tables of the files that processes map, built
// once per file and shared, and each process's mappings. Its methods are
// safe for concurrent use.
type Registry struct {
	opts Options

	// op serializes the changes (and so the loader's calls); the tables
	// are built under it, never under mu, so that Process never waits
	// for a build.
	op      sync.Mutex
	loader  Loader
	files   map[string]*fileEntry
	freeIDs []uint32
	nextID  uint32
	bytes   int64
	noTable map[string]uint64
	unkeyed int // names files that have no key, each its own entry
	closed  bool

	mu    sync.RWMutex
	procs map[uint32]*procEntry
}

// fileEntry is what the registry knows of one file.
type fileEntry struct {
	key    string
	table  *Table // nil when the file has none (reason)
	reason string
	segs   []elf.ProgHeader // loadable segments, to work out load biases
	bytes  int64
	refs   int       // mappings of live processes
	idle   time.Time // when refs fell to 0
}

// procEntry is a process and the files its mappings hold.
type procEntry struct {
	p     *Process
	files []*fileEntry
}

// NewRegistry returns an empty registry.
func NewRegistry(opts Options) *Registry {
	if opts.Budget <= 0 {
		opts.Budget = DefaultBudget
	}
	if opts.MaxTables <= 0 {
		opts.MaxTables = DefaultMaxTables
	}
	if opts.Linger < 0 {
		opts.Linger = DefaultLinger
	}
	return &Registry{
		opts:    opts,
		files:   map[string]*fileEntry{},
		noTable: map[string]uint64{},
		procs:   map[uint32]*procEntry{},
	}
}

// SetLoader makes l the loader told of every table and process; call it
// before the first AddProcess.
func (r *Registry) SetLoader(l Loader) {
	r.op.Lock()
	defer r.op.Unlock()
	if r.loader != nil && l != r.loader {
		r.forgetLoaded()
	}
	r.loader = l
}

// forgetLoaded forgets the files whose tables' rules only the loader held,
// without telling it (it is going away). Processes that map them keep
// mappings with no rules (frame pointers) until they are added again.
func (r *Registry) forgetLoaded() {
	for _, e := range r.files {
		if e.table != nil && e.table.CFI == nil {
			delete(r.files, e.key)
			r.freeIDs = append(r.freeIDs, e.table.ID)
			r.bytes -= e.bytes
			e.table = nil
		}
	}
}

// ErrClosed reports a call to a closed Registry.
var ErrClosed = errors.New("unwind: registry closed")

// AddProcess sets the executable mappings of process pid, replacing those
// it had (after an exec), and returns them with their tables: built from
// the files of objs, or shared with the processes mapping the same files.
// A mapping whose table cannot be had is kept without one, counted in
// Stats.NoTable by reason.
func (r *Registry) AddProcess(pid uint32, objs []Object) (*Process, error) {
	r.op.Lock()
	defer r.op.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	now := time.Now()
	r.mu.RLock()
	old := r.procs[pid]
	r.mu.RUnlock()
	if r.unbuilt(objs) {
		// Tables are to be built (node's takes 90 ms): meanwhile the
		// process is walked with the tables there are (libc's, most
		// often, where its stacks start) and frame pointers elsewhere.
		r.publish(&procEntry{p: r.known(pid, objs)})
	}
	p := &Process{PID: pid, Mappings: make([]Mapping, 0, len(objs))}
	pe := &procEntry{p: p}
	for _, o := range objs {
		m := Mapping{Start: o.Start, End: o.End}
		if e := r.fileOf(o, now); e != nil {
			e.refs++
			pe.files = append(pe.files, e)
			var ok bool
			switch m, ok = e.mapping(o); {
			case e.table == nil:
				r.noTable[e.reason]++
			case !ok:
				r.noTable[NoTableNoSegment]++
			}
		}
		p.Mappings = append(p.Mappings, m)
	}
	if !r.publish(pe) {
		// The loader walks this process by frame pointers; user space
		// still has its tables.
		r.noTable[NoTableNotLoaded] += uint64(len(p.Mappings))
	}
	if old != nil {
		r.release(old, now)
	}
	r.sweep(now)
	return p, nil
}

// publish makes pe the process's mappings, for the loader and for
// Process, sorting them; it reports whether the loader took them.
func (r *Registry) publish(pe *procEntry) bool {
	ms := pe.p.Mappings
	sort.Slice(ms, func(i, j int) bool { return ms[i].Start < ms[j].Start })
	ok := true
	if r.loader != nil {
		ok = r.loader.SetProcess(pe.p) == nil
	}
	r.mu.Lock()
	r.procs[pe.p.PID] = pe
	r.mu.Unlock()
	return ok
}

// unbuilt reports whether a file of objs is one the registry has not read.
func (r *Registry) unbuilt(objs []Object) bool {
	for _, o := range objs {
		if o.File != nil && (o.Key == "" || r.files[o.Key] == nil) {
			return true
		}
	}
	return false
}

// known returns process pid's mappings with the tables the registry has
// already, and none for the files it has not read. It takes no hold on
// them: AddProcess replaces it before it returns, under r.op, which any
// release of a table needs.
func (r *Registry) known(pid uint32, objs []Object) *Process {
	p := &Process{PID: pid, Mappings: make([]Mapping, 0, len(objs)), Pending: true}
	for _, o := range objs {
		m := Mapping{Start: o.Start, End: o.End}
		if e := r.files[o.Key]; o.Key != "" && e != nil {
			m, _ = e.mapping(o)
		}
		p.Mappings = append(p.Mappings, m)
	}
	return p
}

// RemoveProcess forgets process pid (it exited).
func (r *Registry) RemoveProcess(pid uint32) {
	r.op.Lock()
	defer r.op.Unlock()
	r.mu.Lock()
	pe := r.procs[pid]
	delete(r.procs, pid)
	r.mu.Unlock()
	if pe == nil {
		return
	}
	if r.loader != nil {
		r.loader.RemoveProcess(pid)
	}
	now := time.Now()
	r.release(pe, now)
	r.sweep(now)
}

// Process returns the mappings AddProcess last set for pid.
func (r *Registry) Process(pid uint32) (*Process, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	pe := r.procs[pid]
	if pe == nil {
		return nil, false
	}
	return pe.p, true
}

// Stats returns what the registry holds.
func (r *Registry) Stats() Stats {
	r.op.Lock()
	defer r.op.Unlock()
	r.mu.RLock()
	s := Stats{Processes: len(r.procs), Bytes: r.bytes, NoTable: make(map[string]uint64, len(r.noTable))}
	r.mu.RUnlock()
	for _, e := range r.files {
		if e.table != nil {
			s.Tables++
		}
	}
	for k, v := range r.noTable {
		s.NoTable[k] = v
	}
	return s
}

// Close forgets every process and releases every table (the loader is told).
func (r *Registry) Close() {
	r.op.Lock()
	defer r.op.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	r.mu.Lock()
	procs := r.procs
	r.procs = map[uint32]*procEntry{}
	r.mu.Unlock()
	for pid := range procs {
		if r.loader != nil {
			r.loader.RemoveProcess(pid)
		}
	}
	for _, e := range r.files {
		r.drop(e)
	}
}

// fileOf returns the entry of o's file, made (its table built and loaded)
// when new; nil when the file could not be read.
func (r *Registry) fileOf(o Object, now time.Time) *fileEntry {
	if o.File == nil {
		r.noTable[NoTableUnreadable]++
		return nil
	}
	key := o.Key
	if key == "" {
		r.unkeyed++
		key = "\x00unkeyed " + strconv.Itoa(r.unkeyed)
	}
	if e := r.files[key]; e != nil {
		return e
	}
	e := &fileEntry{key: key}
	ef, err := elf.NewFile(o.File)
	if err != nil {
		// Not kept: a file that could not be read (its snapshot closed
		// meanwhile) is tried again with the next process.
		e.reason = NoTableMalformed
		return e
	}
	for _, ph := range ef.Progs {
		if ph.Type == elf.PT_LOAD {
			e.segs = append(e.segs, ph.ProgHeader)
		}
	}
	build := cfi.Build
	if goBinary(ef) {
		build = cfi.BuildEHFrame // Go code by frame pointers; cgo's C by its CFI
	}
	t, err := build(ef)
	switch {
	case errors.Is(err, cfi.ErrNoTable):
		e.reason = NoTableNoCFI
		r.files[key] = e
		return e
	case errors.Is(err, cfi.ErrMalformed):
		e.reason = NoTableMalformed
		r.files[key] = e
		return e
	case err != nil:
		e.reason = NoTableUnreadable // not kept, as above
		return e
	}
	r.files[key] = e
	size := int64(t.Bytes())
	if !r.makeRoom(size, now) {
		e.reason = NoTableOverBudget
		return e
	}
	tab := &Table{ID: r.newID(), Key: o.Key, Path: o.Path, CFI: t, Words: t.PackedWords()}
	if r.loader != nil {
		if err := r.loader.LoadTable(tab); err != nil {
			r.freeIDs = append(r.freeIDs, tab.ID)
			e.reason = fmt.Sprintf("%s: %v", NoTableNotLoaded, err)
			return e
		}
		tab.CFI = nil // the loader holds it; no process has it yet
	}
	e.table, e.bytes = tab, size
	r.bytes += size
	return e
}

// makeRoom releases idle tables, least recently used first, until a table
// of size bytes fits the budget and an id is free; it reports whether it
// did.
func (r *Registry) makeRoom(size int64, now time.Time) bool {
	fits := func() bool {
		return r.bytes+size <= r.opts.Budget && (len(r.freeIDs) > 0 || int(r.nextID) < r.opts.MaxTables)
	}
	if fits() {
		return true
	}
	var idle []*fileEntry
	for _, e := range r.files {
		if e.refs == 0 && e.table != nil {
			idle = append(idle, e)
		}
	}
	sort.Slice(idle, func(i, j int) bool { return idle[i].idle.Before(idle[j].idle) })
	for _, e := range idle {
		if fits() {
			break
		}
		r.drop(e)
	}
	return fits()
}

// newID returns a free table id (makeRoom said there is one).
func (r *Registry) newID() uint32 {
	if n := len(r.freeIDs); n > 0 {
		id := r.freeIDs[n-1]
		r.freeIDs = r.freeIDs[:n-1]
		return id
	}
	r.nextID++
	return r.nextID - 1
}

// release lets go of the files a process's mappings held.
func (r *Registry) release(pe *procEntry, now time.Time) {
	for _, e := range pe.files {
		if e.refs--; e.refs == 0 {
			e.idle = now
		}
	}
}

// sweep drops the entries idle for longer than the linger time.
func (r *Registry) sweep(now time.Time) {
	for _, e := range r.files {
		if e.refs == 0 && now.Sub(e.idle) >= r.opts.Linger {
			r.drop(e)
		}
	}
}

// drop forgets a file, unloading its table.
func (r *Registry) drop(e *fileEntry) {
	delete(r.files, e.key)
	if e.table == nil {
		return
	}
	if r.loader != nil {
		r.loader.UnloadTable(e.table)
	}
	r.freeIDs = append(r.freeIDs, e.table.ID)
	r.bytes -= e.bytes
	e.table = nil
}

// mapping returns o's mapping with e's table and its load bias; it
// reports false, and the mapping has no table, when e has none or o is in
// no loadable segment of it.
func (e *fileEntry) mapping(o Object) (Mapping, bool) {
	m := Mapping{Start: o.Start, End: o.End}
	if e.table == nil {
		return m, false
	}
	bias, ok := loadBias(e.segs, o)
	if ok {
		m.Bias, m.Table = bias, e.table
	}
	return m, ok
}

// loadBias returns the load bias of mapping o of a file with loadable
// segments segs: the process's address of the file's address v is v+bias.
// The mapping starts at a page of one segment (an executable one, where two
// segments share the page), whose file offset and address differ by the
// same amount in the process.
func loadBias(segs []elf.ProgHeader, o Object) (uint64, bool) {
	found := -1
	for i, s := range segs {
		if o.Offset >= s.Off&^4095 && o.Offset < s.Off+s.Filesz {
			if found < 0 || s.Flags&elf.PF_X != 0 {
				found = i
			}
		}
	}
	if found < 0 {
		return 0, false
	}
	s := segs[found]
	return o.Start - o.Offset + s.Off - s.Vaddr, true
}

// goBinary reports whether an ELF file was linked by Go: its Go code keeps
// frame pointers, which cross the runtime's stack switches where its
// .debug_frame does not.
func goBinary(f *elf.File) bool {
	for _, name := range []string{".go.buildinfo", ".gopclntab", ".note.go.buildid"} {
		if f.Section(name) != nil {
			return true
		}
	}
	return false
}
