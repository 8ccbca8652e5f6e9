package symbolize

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"regexp"
	"strconv"

	"github.com/flamekit/flamekit/internal/jit"
	"golang.org/x/sys/unix"
)

// The x86-64 layout of the start of glibc's struct _IO_FILE (offsets of
// its fields), and bounds of the walk through the streams.
const (
	glibcFileSize      = 120 // through _fileno
	glibcFileWriteBase = 32
	glibcFileWritePtr  = 40
	glibcFileBufBase   = 56
	glibcFileBufEnd    = 64
	glibcFileChain     = 104
	glibcFileFileno    = 112
	glibcMagicMask     = 0xffff0000
	glibcMagic         = 0xfbad0000 // _IO_MAGIC in _flags
	maxGlibcStreams    = 1024       // streams walked before giving up
)

// libcName matches glibc's file name: libc.so.6, or libc-2.NN.so before 2.34.
var libcName = regexp.MustCompile(`^libc(\.so\.6|-2\.[0-9]+\.so)$`)

// stdioSource says where a process's glibc keeps the stream of its jitdump.
type stdioSource struct {
	fd     int    // the process's descriptor of the jitdump; -1 until found
	list   uint64 // the address of _IO_list_all in the process; 0: none
	looked bool   // list was looked for in a mapped glibc
}

// unflushedJitdump returns the bytes of the jitdump that the process's
// glibc stream holds unwritten, and the file position they go to, while the
// process lives. ok is false when they cannot be read: the process exited,
// its C library is not glibc, its memory may not be read, or the stream
// was flushed while it was read.
func (p *Process) unflushedJitdump() (unflushed []byte, pos int64, ok bool) {
	if p.root == nil || p.jitFile == nil || !p.sameProcess() {
		return nil, 0, false
	}
	if !p.stdio.looked {
		p.stdio.list, p.stdio.looked = p.glibcStreamList()
	}
	if p.stdio.list == 0 || !p.findJitFD() {
		return nil, 0, false
	}
	before, err := fdPosition(p.PID, p.stdio.fd)
	if err != nil {
		return nil, 0, false
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", p.PID))
	if err != nil {
		return nil, 0, false
	}
	defer mem.Close()
	unflushed, ok = streamBuffer(mem, p.stdio.list, p.stdio.fd)
	if after, err := fdPosition(p.PID, p.stdio.fd); !ok || err != nil || after != before {
		return nil, 0, false
	}
	return unflushed, before, true
}

// sameProcess reports whether the process of the snapshot still lives: its
// /proc directory, held since the snapshot, reads only while it does, even
// when its pid names another process by then.
func (p *Process) sameProcess() bool {
	if p.dir == nil {
		return false
	}
	start, err := p.dir.StartTime()
	return err == nil && (p.start.IsZero() || start.Equal(p.start))
}

// glibcStreamList returns the address of _IO_list_all in the process,
// from the dynamic symbols of the glibc it maps, or 0; mapped says whether
// the snapshot has a glibc mapping to look in (a process just exec'd has
// none yet).
func (p *Process) glibcStreamList() (list uint64, mapped bool) {
	for _, m := range p.maps {
		if m.file == nil || m.file.err != nil || !libcName.MatchString(path.Base(m.Path)) {
			continue
		}
		ef, err := elf.NewFile(m.file.r)
		if err != nil {
			return 0, true
		}
		vaddr, ok := fileOffsetToVaddr(ef, m.Offset)
		syms, err := ef.DynamicSymbols()
		if !ok || err != nil {
			return 0, true
		}
		for _, s := range syms {
			if s.Name == "_IO_list_all" && elf.ST_TYPE(s.Info) == elf.STT_OBJECT {
				return m.Start - vaddr + s.Value, true
			}
		}
		return 0, true
	}
	return 0, false
}

// findJitFD finds the process's descriptor of the jitdump held in
// p.jitFile: the one found before if it still is, else the first in
// /proc/PID/fd that is the same file.
func (p *Process) findJitFD() bool {
	var want unix.Stat_t
	if unix.Fstat(int(p.jitFile.Fd()), &want) != nil {
		return false
	}
	same := func(fd int) bool {
		var st unix.Stat_t
		return unix.Stat(fmt.Sprintf("/proc/%d/fd/%d", p.PID, fd), &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino
	}
	if p.stdio.fd >= 0 && same(p.stdio.fd) {
		return true
	}
	p.stdio.fd = -1
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p.PID))
	if err != nil {
		return false
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && same(fd) {
			p.stdio.fd = fd
			return true
		}
	}
	return false
}

// fdPosition reads the file position of a process's descriptor from
// /proc/PID/fdinfo.
func fdPosition(pid, fd int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return 0, err
	}
	rest, ok := bytes.CutPrefix(b, []byte("pos:"))
	if !ok {
		return 0, fmt.Errorf("symbolize: fdinfo of pid %d fd %d: no pos", pid, fd)
	}
	rest, _, _ = bytes.Cut(rest, []byte("\n"))
	return strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
}

// streamBuffer walks glibc's list of streams from the pointer at list in
// mem, to the stream of descriptor fd, and returns the bytes written to it
// and not yet flushed.
func streamBuffer(mem *os.File, list uint64, fd int) ([]byte, bool) {
	var ptr [8]byte
	if _, err := mem.ReadAt(ptr[:], int64(list)); err != nil {
		return nil, false
	}
	le := binary.LittleEndian
	var f [glibcFileSize]byte
	for next, n := le.Uint64(ptr[:]), 0; next != 0 && n < maxGlibcStreams; n++ {
		if _, err := mem.ReadAt(f[:], int64(next)); err != nil || le.Uint32(f[:])&glibcMagicMask != glibcMagic {
			return nil, false
		}
		next = le.Uint64(f[glibcFileChain:])
		if int32(le.Uint32(f[glibcFileFileno:])) != int32(fd) {
			continue
		}
		base, end := le.Uint64(f[glibcFileWriteBase:]), le.Uint64(f[glibcFileWritePtr:])
		bufBase, bufEnd := le.Uint64(f[glibcFileBufBase:]), le.Uint64(f[glibcFileBufEnd:])
		if base < bufBase || end < base || end > bufEnd || end-base > jit.MaxTail {
			return nil, false
		}
		b := make([]byte, end-base)
		if _, err := mem.ReadAt(b, int64(base)); err != nil {
			return nil, false
		}
		return b, true
	}
	return nil, false
}
