package symbolize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"time"

	"github.com/flamekit/flamekit/internal/jit"
)

// jitdumpName matches the file name of a jitdump.
var jitdumpName = regexp.MustCompile(`^jit-[0-9]+\.dump$`)

// perfMapPath is the perf map's path as the process sees it.
func (p *Process) perfMapPath() string { return fmt.Sprintf("/tmp/perf-%d.map", p.NSPID) }

// loadJIT reads the process's perf map and jitdump, if it has them. The perf
// map is /tmp/perf-NSPID.map inside the process's root; the jitdump is the
// jit-PID.dump file the process maps (writers map it so that perf sees
// where it is), which may be mapped only after the snapshot (Update and
// Refresh look again).
func (p *Process) loadJIT() {
	p.loadPerfMap()
	p.findJitdump(p.maps)
	p.readJitdumpTail(false)
}

// findJitdump opens and reads the first jitdump among maps, unless the
// snapshot has one already.
func (p *Process) findJitdump(maps []procMapping) {
	if p.jitdump != nil {
		return
	}
	for i := range maps {
		m := &maps[i].Mapping
		if !jitdumpName.MatchString(path.Base(m.Path)) {
			continue
		}
		f, err := p.openMapFile(m)
		if err != nil && p.root != nil {
			f, err = openInRoot(p.root, m.Path)
		}
		p.adoptJitdump(f, err, m.Path, false)
		return
	}
}

// findLateJitdump looks for a jitdump the process made after the last
// Update. A process with JIT code may map one at any time (CPython's
// sys.activate_stack_trampoline): its maps are read again. One that has
// exited, or is a zombie, has no maps any more (a short-lived node whose
// dump was mapped after the last Update): jit-NSPID.dump is looked for by
// name, inside the process's root, in its working directory as last seen
// (V8's ./jit-PID.dump) and in /tmp (CPython's, .NET's).
func (p *Process) findLateJitdump() {
	if p.jitdump != nil || p.root == nil {
		return
	}
	if slices.ContainsFunc(p.maps, func(m procMapping) bool { return jitMapping(&m.Mapping) }) {
		if p.dir != nil {
			if maps, err := p.dir.ExecutableMaps(); err == nil {
				p.findJitdump(sortedMappings(maps))
			}
		}
	}
	name := fmt.Sprintf("jit-%d.dump", p.NSPID)
	for _, dir := range []string{p.cwd, "/tmp"} {
		if p.jitdump == nil && path.IsAbs(dir) {
			f, err := openInRoot(p.root, path.Join(dir, name))
			p.adoptJitdump(f, err, path.Join(dir, name), true)
		}
	}
}

// adoptJitdump reads f, opened from name (or err), as the process's
// jitdump: a file owned by the process's user or root. One found by its
// name (byName) rather than through the process's maps must also have been
// written since the process started and name the process in its header;
// its absence is no error. What is not adopted is closed.
func (p *Process) adoptJitdump(f *os.File, err error, name string, byName bool) {
	if byName && errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		err = checkOwned(f, p.owners)
	}
	if err == nil && byName && p.stale(f) {
		f.Close()
		return
	}
	var j *jit.Jitdump
	if err == nil {
		j, err = jit.ParseJitdump(limitedReader(f))
	}
	if err == nil && byName && j.PID != uint32(p.NSPID) {
		err = fmt.Errorf("its header names pid %d, not %d", j.PID, p.NSPID)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		p.jitErrors = append(p.jitErrors, fmt.Errorf("symbolize: jitdump %s of pid %d: %w", name, p.PID, err))
		return
	}
	p.jitdump, p.jitFile, p.jitPath = j, f, name
	p.stdio = stdioSource{fd: -1}
}

// readJitdumpTail reads what follows the jitdump's last whole record: the
// rest of the file and, while the process lives, what its C library holds
// unflushed. When the unflushed bytes cannot be read, the tail read before
// stays unless grew says the file has new records (the process exited and
// its C library flushed them): a process killed before it flushed leaves
// its last records only in the tail.
func (p *Process) readJitdumpTail(grew bool) {
	if p.jitdump == nil {
		return
	}
	unflushed, end, ok := p.unflushedJitdump()
	if !ok {
		if !grew {
			return
		}
		st, err := p.jitFile.Stat()
		if err != nil {
			return
		}
		end = st.Size()
	}
	if err := p.jitdump.ReadTail(p.jitFile, end, unflushed); err != nil {
		p.jitErrors = append(p.jitErrors, fmt.Errorf("symbolize: %s of pid %d: %w", p.jitPath, p.PID, err))
	}
}

// loadPerfMap (re)reads the perf map; a missing or stale one is not an
// error.
func (p *Process) loadPerfMap() {
	if p.root == nil {
		return
	}
	name := p.perfMapPath()
	f, err := openInRoot(p.root, name)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		defer f.Close()
		err = checkOwned(f, p.owners)
	}
	if err == nil && p.stale(f) {
		return
	}
	var m *jit.PerfMap
	if err == nil {
		m, err = jit.ParsePerfMap(limitedReader(f))
	}
	if err != nil {
		p.jitErrors = append(p.jitErrors, fmt.Errorf("symbolize: perf map %s of pid %d: %w", name, p.PID, err))
		return
	}
	p.perfMap = m
}

// staleSlack allows for the whole-second boot time behind Process.start.
const staleSlack = 2 * time.Second

// stale reports whether f was last written before the process started: a
// perf map left by an earlier process with the same pid.
func (p *Process) stale(f *os.File) bool {
	st, err := f.Stat()
	start := p.startTime()
	return err == nil && !start.IsZero() && st.ModTime().Before(start.Add(-staleSlack))
}

// Refresh reads the JIT sources again: the perf map in full (JIT compilers
// append to it as they compile; the JVM writes it only at exit, which the
// snapshot can still read through the process's root directory it holds)
// and what was appended to the jitdump since the last read, with, while the
// process lives, the records its C library has not flushed yet; a jitdump
// the process mapped since the snapshot is found. It works after the
// process exited until Exited is called (the perf map cannot be reached
// after that; the jitdump, held open, can), and not after Close.
func (p *Process) Refresh() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("symbolize: refresh of pid %d: %w", p.PID, fs.ErrClosed)
	}
	return p.refreshLocked()
}

// refreshLocked is Refresh with p.mu held.
func (p *Process) refreshLocked() error {
	p.jitErrors = p.jitErrors[:0]
	p.loadPerfMap()
	if p.jitdump == nil {
		p.findLateJitdump()
		p.readJitdumpTail(false)
	} else {
		read := p.jitdump.Offset()
		if err := p.jitdump.Refresh(p.jitFile); err != nil {
			p.jitErrors = append(p.jitErrors, fmt.Errorf("symbolize: %s of pid %d: %w", p.jitPath, p.PID, err))
		}
		p.readJitdumpTail(p.jitdump.Offset() != read)
	}
	return errors.Join(p.jitErrors...)
}

// jitFrame names addr from the jitdump (which has source lines), else from
// the perf map.
func (p *Process) jitFrame(addr uint64) (Frame, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var (
		s   jit.Symbol
		ok  bool
		src string
	)
	if p.jitdump != nil {
		s, ok = p.jitdump.Lookup(addr)
		src = p.jitPath
	}
	if !ok && p.perfMap != nil {
		s, ok = p.perfMap.Lookup(addr)
		src = p.perfMapPath()
	}
	if !ok {
		return Frame{}, false
	}
	return Frame{Function: s.Name, File: s.File, Line: s.Line, Module: Module{Path: src}, Offset: addr - s.Start, Kind: KindJIT}, true
}
