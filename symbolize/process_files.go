package symbolize

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/flamekit/flamekit/internal/procfs"
	"golang.org/x/sys/unix"
)

// errFileReplaced reports a mapped file whose path now names another file.
var errFileReplaced = errors.New("the file at the mapped path was replaced")

// maxVDSO bounds the [vdso] image we copy (it is 8 KiB on x86-64).
const maxVDSO = 64 << 10

// vdsoScratch holds buffers the vDSO is read into.
var vdsoScratch = sync.Pool{New: func() any { return new([maxVDSO]byte) }}

// mappedFile is a file mapped executable by a process, held open, or the
// process's vDSO image.
type mappedFile struct {
	r      io.ReaderAt // the file's bytes; nil when err is set
	f      *os.File    // the open file; nil for the vDSO
	key    fileKey
	path   string      // as the process saw it; "[vdso]" for the vDSO
	err    error       // why the file could not be opened
	shared *sharedFile // the hold on f that snapshots share; nil for the vDSO
	image  []byte      // the vDSO's bytes
}

// fileKey identifies a file's contents across processes, for caches: the
// GNU build-id when the file has one, else its device, inode, size and
// modification time.
type fileKey struct {
	buildID    string
	dev, inode uint64
	size       int64
	mtime      int64 // nanoseconds
}

// module returns the Module of frames in the file.
func (f *mappedFile) module() Module { return Module{Path: f.path, BuildID: f.key.buildID} }

// fileID identifies the file behind a mapping within one process.
type fileID struct {
	major, minor uint32
	inode        uint64
	path         string
}

func fileIDOf(m *procfs.Mapping) fileID { return fileID{m.Major, m.Minor, m.Inode, m.Path} }

// openFiles opens the file behind each executable mapping once, and copies
// the vDSO.
func (p *Process) openFiles() {
	seen := map[fileID]*mappedFile{}
	for i := range p.maps {
		p.maps[i].file = p.fileFor(&p.maps[i].Mapping, seen)
	}
}

// fileFor returns the file behind an executable mapping (nil for anonymous
// and pseudo mappings), opening it unless seen has it, and adding what it
// opens to seen and p.files.
func (p *Process) fileFor(m *procfs.Mapping, seen map[fileID]*mappedFile) *mappedFile {
	switch {
	case m.Path == "[vdso]":
		f := p.readVDSO(m)
		p.files = append(p.files, f)
		return f
	case !m.Executable() || m.Pseudo() || jitMapping(m) || m.Anonymous():
		return nil
	}
	k := fileIDOf(m)
	if seen[k] == nil {
		seen[k] = p.openMapped(m)
		p.files = append(p.files, seen[k])
	}
	return seen[k]
}

// openMapped opens a mapping's file through /proc/PID/map_files, else (not
// privileged) by its path inside the process's root, checking that the
// path still names the mapped inode. A file another snapshot holds open
// already is shared: a stat through map_files says without opening it.
func (p *Process) openMapped(m *procfs.Mapping) *mappedFile {
	var st unix.Stat_t
	if p.dir != nil && p.dir.Stat(mapFileName(m), &st) == nil && st.Ino == m.Inode && st.Mode&unix.S_IFMT == unix.S_IFREG {
		if mf := acquireShared(inodeKeyOf(&st), m.Path); mf != nil {
			return mf
		}
	}
	mf := &mappedFile{path: m.Path}
	f, err := p.openMapFile(m)
	if err != nil && p.root != nil && !m.Deleted {
		f, err = openInRoot(p.root, m.Path)
	}
	if err != nil {
		mf.err = fmt.Errorf("symbolize: open %s of pid %d: %w", m.Path, p.PID, err)
		return mf
	}
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Ino != m.Inode || st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		mf.err = fmt.Errorf("symbolize: %s of pid %d: %w", m.Path, p.PID, errFileReplaced)
		return mf
	}
	mf.r, mf.f = f, f
	mf.key = fileKey{dev: st.Dev, inode: st.Ino, size: st.Size, mtime: st.Mtim.Nano()}
	mf.setBuildID()
	return share(inodeKeyOf(&st), mf)
}

// mapFileName is the name of a mapping's link in /proc/PID/map_files.
func mapFileName(m *procfs.Mapping) string { return fmt.Sprintf("map_files/%x-%x", m.Start, m.End) }

// openMapFile opens the file of a mapping through /proc/PID/map_files, the
// kernel's link to it, valid for deleted files and memfds too. It needs
// CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE), and a process that still runs.
func (p *Process) openMapFile(m *procfs.Mapping) (*os.File, error) {
	if p.dir == nil {
		return nil, fmt.Errorf("map_files of pid %d: %w", p.PID, ErrNoMappings)
	}
	return p.dir.Open(mapFileName(m), unix.O_RDONLY|unix.O_NONBLOCK)
}

// readVDSO returns the [vdso] image, a whole ELF file: the one every
// process of the kernel maps, read once from /proc/PID/mem of the first
// process seen with a vDSO of its size and kind (64-bit processes map it
// above 4 GiB, 32-bit ones below).
func (p *Process) readVDSO(m *procfs.Mapping) *mappedFile {
	mf := &mappedFile{path: m.Path}
	size := m.End - m.Start
	if size > maxVDSO {
		mf.err = fmt.Errorf("symbolize: [vdso] of pid %d is %d bytes", p.PID, size)
		return mf
	}
	k := vdsoKey{size: size, high: m.Start >= 1<<32}
	if v := knownVDSO(k, m.Path); v != nil {
		return v
	}
	if p.dir == nil {
		mf.err = fmt.Errorf("symbolize: [vdso] of pid %d: %w", p.PID, ErrNoMappings)
		return mf
	}
	mem, err := p.dir.Open("mem", unix.O_RDONLY)
	if err != nil {
		mf.err = fmt.Errorf("symbolize: [vdso]: %w", err)
		return mf
	}
	defer mem.Close()
	// Every process maps the same image: read it into a scratch buffer
	// and keep a copy only when it is a new one.
	buf := vdsoScratch.Get().(*[maxVDSO]byte)
	defer vdsoScratch.Put(buf)
	img := buf[:size]
	if _, err := mem.ReadAt(img, int64(m.Start)); err != nil {
		mf.err = fmt.Errorf("symbolize: [vdso] of pid %d: %w", p.PID, err)
		return mf
	}
	if v := sharedVDSO(k, img, mf); v != mf {
		return v
	}
	mf.r = bytes.NewReader(mf.image)
	mf.key = fileKey{size: int64(size)}
	mf.setBuildID()
	return mf
}

// setBuildID reads the file's GNU build-id, which then alone is its key.
func (mf *mappedFile) setBuildID() {
	ef, err := elf.NewFile(mf.r)
	if err != nil {
		return
	}
	if id := buildID(ef); id != "" {
		mf.key = fileKey{buildID: id}
	}
}
