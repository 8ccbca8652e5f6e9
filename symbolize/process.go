package symbolize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/jit"
	"github.com/flamekit/flamekit/internal/procfs"
)

// Process is a snapshot of a process's address space: its mappings, the
// files behind its executable mappings (held open, so they stay readable
// after the process exits or the files are deleted or replaced), its vDSO
// image and its JIT sources (perf map, jitdump). A profiler takes it when it
// first sees a process and symbolizes with it later. Methods are safe for
// concurrent use.
type Process struct {
	PID int
	// NSPID is the process's id in its own pid namespace (a container's),
	// the one its perf map and jitdump are named after.
	NSPID int

	maps  []procMapping // sorted by Start
	files []*mappedFile // executable files, the vDSO included
	start time.Time     // when the process started; zero until needed (see startTime)
	cwd   string        // its working directory (where V8 writes its jitdump) when last looked at

	mu     sync.RWMutex
	closed bool
	// dir is the process's /proc directory, through which everything is
	// read while the process lives, so that a pid reused meanwhile never
	// mixes another process in; nil once it has exited.
	dir *procfs.Dir
	// root is the process's root directory, held to read the JIT sources
	// it writes, after it exits too; nil when we may not open it.
	root *os.File
	// owners are the user ids whose JIT files we read: the process's
	// effective one at the snapshot.
	owners    []uint32
	perfMap   *jit.PerfMap
	jitdump   *jit.Jitdump
	jitFile   *os.File // the jitdump, held open to read what is appended
	jitPath   string   // the jitdump's path as the process saw it
	stdio     stdioSource
	jitErrors []error // why a JIT source could not be read
}

// procMapping is a mapping and, for an executable file, the file.
type procMapping struct {
	procfs.Mapping
	file *mappedFile
}

// ErrNoMappings reports a process with no address space, to
// [SnapshotProcess] and [Process.Update]: a kernel thread, or a process that
// is exiting (its mappings are gone already). A snapshot taken earlier is
// the one to keep. It comes wrapped with the package prefix and the pid.
var ErrNoMappings = errors.New("the process has no mappings (a kernel thread, or exiting)")

// SnapshotProcess reads the mappings of process pid and opens what is needed
// to symbolize its addresses after it exits. It holds the process's /proc
// directory, to follow it while it runs, and its root directory, to read the
// JIT sources that the process writes as it runs (and the JVM at exit):
// call [Process.Exited] when the process has exited, and [Process.Close] to
// release every open file. Files that cannot be opened (permissions, a file
// replaced on disk) do not fail the snapshot: their addresses go unnamed,
// and [Options.Logger] hears why. It fails when /proc/PID/maps cannot be
// read, and with ErrNoMappings when it is empty.
//
// What snapshots of many processes have in common costs one of them only:
// a file that another snapshot holds open already (an executable run again
// and again, libc, the dynamic loader), known by the device and inode its
// mapping names, is shared without a system call, and so is the vDSO
// image. A snapshot of a process of a known executable reads its maps, its
// start time and a few links, and opens its root directory.
func SnapshotProcess(pid int) (*Process, error) {
	dir, err := procfs.OpenDir(pid)
	if err != nil {
		return nil, fmt.Errorf("symbolize: snapshot: %w", err)
	}
	p, err := snapshotDir(dir)
	if err != nil {
		dir.Close()
		return nil, err
	}
	return p, nil
}

// snapshotDir takes the snapshot of the process of dir, which it keeps.
func snapshotDir(dir *procfs.Dir) (*Process, error) {
	pid := dir.PID()
	maps, err := dir.ExecutableMaps()
	if err != nil {
		return nil, fmt.Errorf("symbolize: snapshot: %w", err)
	}
	if len(maps) == 0 {
		return nil, fmt.Errorf("symbolize: snapshot of pid %d: %w", pid, ErrNoMappings)
	}
	p := &Process{PID: pid, NSPID: pid, dir: dir}
	if nspid, err := dir.OwnNSpid(); err == nil {
		p.NSPID = nspid
	}
	if uid, err := dir.Owner(); err == nil {
		p.owners = []uint32{uid}
	}
	if root, err := dir.Open("root", unix.O_PATH|unix.O_DIRECTORY); err == nil {
		p.root = root
	} else {
		p.jitErrors = append(p.jitErrors, err)
	}
	p.maps = sortedMappings(maps)
	p.readCwd()
	p.openFiles()
	p.loadJIT()
	return p, nil
}

// readCwd reads the process's working directory, where V8 writes its
// jitdump, while it lives. p.mu is held, or the snapshot is not shared yet.
func (p *Process) readCwd() {
	if p.dir == nil {
		return
	}
	if cwd, err := p.dir.Readlink("cwd"); err == nil {
		p.cwd = cwd
	}
}

// startTime returns when the process started, read the first time it is
// needed (to tell a stale perf map, which few processes have) while the
// process lives; zero if unknown. p.mu is held, or the snapshot is not
// shared yet.
func (p *Process) startTime() time.Time {
	if p.start.IsZero() && p.dir != nil {
		p.start, _ = p.dir.StartTime()
	}
	return p.start
}

// resolved says what backs an address of the process.
type resolved struct {
	kind    addrKind
	mapping *procfs.Mapping
	// file and offset, for addrFile: the mapped file (or the vDSO image)
	// and the address's offset in it. file.err is set when the file could
	// not be opened. Turn the offset into a link-time address through the
	// file's PT_LOAD segments.
	file   *mappedFile
	offset uint64
	// frame, for addrJIT: the JIT code's name (and file:line from a
	// jitdump).
	frame Frame
}

// addrKind classifies an address.
type addrKind uint8

const (
	addrUnmapped addrKind = iota // in no mapping, or in a mapping of no file and no JIT code ([heap], [stack], ...)
	addrFile                     // in a mapped file or the vDSO
	addrJIT                      // named by a perf map or jitdump
	addrAnon                     // in anonymous executable memory no JIT source names
)

// Update reads the mappings of the process again, while it lives, and adds
// the executable ones that are new since the snapshot: the libraries the
// dynamic loader maps after exec, those loaded by dlopen, and a jitdump
// (runtimes map theirs as they start), which it then reads. Mappings already
// known keep their open files; those that are gone stay unless a new one
// took their place, so that addresses sampled before a dlclose still
// resolve. It fails once the process has exited (with ErrNoMappings while
// it exits), even when its pid belongs to another process by then, leaving
// the snapshot as it was.
func (p *Process) Update() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("symbolize: update of pid %d: %w", p.PID, fs.ErrClosed)
	}
	if p.dir == nil {
		return fmt.Errorf("symbolize: update of pid %d: %w", p.PID, ErrNoMappings)
	}
	maps, err := p.dir.ExecutableMaps()
	if err != nil {
		return fmt.Errorf("symbolize: update: %w", err)
	}
	if len(maps) == 0 {
		return fmt.Errorf("symbolize: update of pid %d: %w", p.PID, ErrNoMappings)
	}
	current := sortedMappings(maps)
	known := make(map[procfs.Mapping]*mappedFile, len(p.maps))
	seen := map[fileID]*mappedFile{}
	for _, m := range p.maps {
		known[m.Mapping] = m.file
		if m.file != nil && m.Path != "[vdso]" {
			seen[fileIDOf(&m.Mapping)] = m.file
		}
	}
	next := current
	for i := range next {
		m := &next[i]
		var ok bool
		if m.file, ok = known[m.Mapping]; !ok {
			m.file = p.fileFor(&m.Mapping, seen)
		}
	}
	next = append(next, uncovered(current, p.maps)...) // gone, and nothing in their place
	sort.SliceStable(next, func(i, j int) bool { return next[i].Start < next[j].Start })
	p.maps = next
	p.readCwd()
	if p.jitdump == nil {
		p.findJitdump(current)
		p.readJitdumpTail(false)
	}
	return nil
}

// Inherit adds to p the executable mappings of old, an earlier snapshot of
// the same pid, that none of p's own overlaps: the address space the process
// had before an exec (or, when the pid was reused, the one of the process
// before), so that addresses sampled then still resolve through p, and
// count as code for [Process.Executable]. p holds their files until it is
// closed; old is left as it was, to be closed by its owner. Inheriting from
// p itself, or from or into a closed snapshot, does nothing.
func (p *Process) Inherit(old *Process) {
	if old == p {
		return
	}
	old.mu.RLock()
	defer old.mu.RUnlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || old.closed {
		return
	}
	// A new slice: resolve reads the old one without the lock.
	next := append(make([]procMapping, 0, len(p.maps)+len(old.maps)), p.maps...)
	held := map[*mappedFile]*mappedFile{}
	for _, m := range uncovered(p.maps, old.maps) {
		if m.file != nil {
			if held[m.file] == nil {
				held[m.file] = m.file.hold()
				p.files = append(p.files, held[m.file])
			}
			m.file = held[m.file]
		}
		next = append(next, m)
	}
	if len(next) == len(p.maps) {
		return
	}
	sort.SliceStable(next, func(i, j int) bool { return next[i].Start < next[j].Start })
	p.maps = next
}

// uncovered returns the mappings of earlier that no mapping of current
// (sorted by start) overlaps.
func uncovered(current, earlier []procMapping) []procMapping {
	var out []procMapping
	for _, m := range earlier {
		i := sort.Search(len(current), func(i int) bool { return current[i].End > m.Start })
		if i == len(current) || current[i].Start >= m.End {
			out = append(out, m)
		}
	}
	return out
}

// sortedMappings returns maps, the executable mappings of a process
// (only code can be in a stack), sorted by start.
func sortedMappings(maps []procfs.Mapping) []procMapping {
	sort.SliceStable(maps, func(i, j int) bool { return maps[i].Start < maps[j].Start })
	out := make([]procMapping, len(maps))
	for i, m := range maps {
		out[i] = procMapping{Mapping: m}
	}
	return out
}

// mappings returns the snapshot's mappings, sorted by start; Update replaces
// the slice, never its elements.
func (p *Process) mappings() []procMapping {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.maps
}

// resolve finds what backs addr: a file and the offset in it, or JIT code.
func (p *Process) resolve(addr uint64) resolved {
	maps := p.mappings()
	i := sort.Search(len(maps), func(i int) bool { return maps[i].End > addr })
	if i == len(maps) || maps[i].Start > addr {
		if fr, ok := p.jitFrame(addr); ok { // JIT code mapped after the snapshot
			return resolved{kind: addrJIT, frame: fr}
		}
		return resolved{}
	}
	m := &maps[i]
	switch {
	case m.file != nil:
		return resolved{kind: addrFile, mapping: &m.Mapping, file: m.file, offset: addr - m.Start + m.Offset}
	case jitMapping(&m.Mapping):
		if fr, ok := p.jitFrame(addr); ok {
			return resolved{kind: addrJIT, mapping: &m.Mapping, frame: fr}
		}
		return resolved{kind: addrAnon, mapping: &m.Mapping}
	}
	return resolved{mapping: &m.Mapping}
}

// jitMapping reports whether JIT compilers put code in m: anonymous
// executable memory, or a memfd double mapping (.NET with W^X).
func jitMapping(m *procfs.Mapping) bool {
	return m.Executable() && (m.Anonymous() || (m.Deleted && strings.HasPrefix(m.Path, "/memfd:doublemapper")))
}

// Exited tells the snapshot that its process has exited: it reads the JIT
// sources a last time (the JVM writes its perf map at exit, V8 flushes its
// jitdump) and closes the process's root and /proc directories, which it
// needs no more. The names stay available until Close. Calling it again,
// or after Close, does nothing.
func (p *Process) Exited() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.root != nil {
		p.refreshLocked()
		p.root.Close()
		p.root = nil
	}
	if p.dir != nil {
		p.dir.Close()
		p.dir = nil
	}
}

// Close releases the files the snapshot holds open. JIT names stay
// available; the files' addresses can no longer be named. Calling it again
// does nothing.
func (p *Process) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	for _, f := range p.files {
		errs = append(errs, f.release())
	}
	for _, f := range []*os.File{p.root, p.jitFile} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	if p.dir != nil {
		errs = append(errs, p.dir.Close())
	}
	return errors.Join(errs...)
}
