package symbolize

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"time"
)

// jitdumpName matches the file name of a jitdump.
var jitdumpName = regexp.MustCompile(`^jit-[0-9]+\.dump$`)

// perfMapPath is the perf map's path as the process sees it.
func (p *Process) perfMapPath() string { return fmt.Sprintf("/tmp/perf-%d.map", p.NSPID) }

// loadJIT reads the process's perf map and jitdump, if it has them. The perf
// map is /tmp/perf-NSPID.map inside the process's root; the jitdump is the
// jit-PID.dump file the process maps (writers map it so that perf sees
// where it is).
func (p *Process) loadJIT() {
	p.loadPerfMap()
	for i := range p.maps {
		m := &p.maps[i].Mapping
		if !jitdumpName.MatchString(path.Base(m.Path)) {
			continue
		}
		f, err := openMapFile(p.PID, m.Start, m.End)
		if err != nil && p.root != nil {
			f, err = openInRoot(p.root, m.Path)
		}
		if err == nil {
			if err = checkOwned(f, p.owners); err != nil {
				f.Close()
			}
		}
		if err != nil {
			p.jitErrors = append(p.jitErrors, fmt.Errorf("symbolize: jitdump %s of pid %d: %w", m.Path, p.PID, err))
			return
		}
		j, err := ParseJitdump(limitedReader(f))
		if err != nil {
			f.Close()
			p.jitErrors = append(p.jitErrors, fmt.Errorf("symbolize: %s of pid %d: %w", m.Path, p.PID, err))
			return
		}
		p.jitdump, p.jitFile, p.jitPath = j, f, m.Path
		return
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
	var m *PerfMap
	if err == nil {
		m, err = ParsePerfMap(limitedReader(f))
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
	return err == nil && !p.start.IsZero() && st.ModTime().Before(p.start.Add(-staleSlack))
}

// Refresh reads the JIT sources again: the perf map in full (JIT compilers
// append to it as they compile; the JVM writes it only at exit, which the
// snapshot can still read through the process's root directory it holds)
// and what was appended to the jitdump. It works after the process exited
// until Exited is called (the perf map cannot be reached after that), and
// not after Close.
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
	if p.jitdump != nil {
		if err := p.jitdump.refresh(p.jitFile); err != nil {
			p.jitErrors = append(p.jitErrors, fmt.Errorf("symbolize: %s of pid %d: %w", p.jitPath, p.PID, err))
		}
	}
	return errors.Join(p.jitErrors...)
}

// jitFrame names addr from the jitdump (which has source lines), else from
// the perf map.
func (p *Process) jitFrame(addr uint64) (Frame, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var (
		s   JITSymbol
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
