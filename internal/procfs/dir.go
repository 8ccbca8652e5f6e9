package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Dir is an open /proc/PID directory. What is read through it belongs to
// the process it was opened for: once that process has been reaped, reads
// fail (ENOENT or ESRCH), even when its pid names another process by then.
// Reading through it also spares a path lookup per file.
type Dir struct {
	f   *os.File
	pid int
}

// OpenDir opens /proc/PID. It fails with an error wrapping fs.ErrNotExist
// when there is no such process.
func OpenDir(pid int) (*Dir, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("procfs: bad pid %d", pid)
	}
	f, err := os.OpenFile("/proc/"+strconv.Itoa(pid), os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("procfs: %w", err)
	}
	return &Dir{f: f, pid: pid}, nil
}

// PID is the process's id.
func (d *Dir) PID() int { return d.pid }

// Close closes the directory.
func (d *Dir) Close() error { return d.f.Close() }

// Open opens a file of the directory (name is relative: "maps",
// "map_files/START-END") read-only, without blocking and without following
// a final symbolic link unless follow is set (map_files and root are
// links).
func (d *Dir) Open(name string, flags int) (*os.File, error) {
	fd, err := unix.Openat(int(d.f.Fd()), name, flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: d.path(name), Err: err}
	}
	return os.NewFile(uintptr(fd), d.path(name)), nil
}

// Readlink reads a link of the directory ("cwd", "exe").
func (d *Dir) Readlink(name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(int(d.f.Fd()), name, buf)
	if err != nil {
		return "", &os.PathError{Op: "readlink", Path: d.path(name), Err: err}
	}
	return string(buf[:n]), nil
}

// Stat stats a file of the directory, following a final link ("ns/pid",
// "map_files/START-END").
func (d *Dir) Stat(name string, st *unix.Stat_t) error {
	if err := unix.Fstatat(int(d.f.Fd()), name, st, 0); err != nil {
		return &os.PathError{Op: "stat", Path: d.path(name), Err: err}
	}
	return nil
}

// Owner returns the user id that owns the directory: the process's
// effective user id (root for a process that is not dumpable, such as a
// set-uid program).
func (d *Dir) Owner() (uint32, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(d.f.Fd()), &st); err != nil {
		return 0, fmt.Errorf("procfs: stat %s: %w", d.f.Name(), err)
	}
	return st.Uid, nil
}

func (d *Dir) path(name string) string { return d.f.Name() + "/" + name }

// ExecutableMaps reads the executable mappings of the process, as
// ReadExecutableMaps does.
func (d *Dir) ExecutableMaps() ([]Mapping, error) {
	return readAt(d, "maps", ParseExecutableMaps)
}

// Status reads and parses the process's status (see ParseStatus); a
// kernel without NSpid lines gives the pid alone.
func (d *Dir) Status() (*Status, error) {
	st, err := readAt(d, "status", ParseStatus)
	if err != nil {
		return nil, err
	}
	if len(st.NSpid) == 0 {
		st.NSpid = []int{d.pid}
	}
	return st, nil
}

// StartTime returns when the process started: its start time in stat
// after the boot time in /proc/stat. Boot time is whole seconds, so the
// result may be off by up to a second.
func (d *Dir) StartTime() (time.Time, error) {
	ticks, err := readAt(d, "stat", func(r io.Reader) (uint64, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return 0, err
		}
		return ParseStatStartTime(b)
	})
	if err != nil {
		return time.Time{}, err
	}
	boot, err := bootTime()
	if err != nil {
		return time.Time{}, err
	}
	return boot.Add(time.Duration(ticks) * time.Second / userHZ), nil
}

// OwnNSpid returns the id the process knows itself by, in its own pid
// namespace (see NSpid): its pid when it shares this process's pid
// namespace, which a stat tells, else the last of its status's NSpid.
func (d *Dir) OwnNSpid() (int, error) {
	var st unix.Stat_t
	if err := d.Stat("ns/pid", &st); err != nil {
		return 0, err
	}
	if ours, err := ownPIDNamespace(); err == nil && st.Dev == ours.Dev && st.Ino == ours.Ino {
		return d.pid, nil
	}
	s, err := d.Status()
	if err != nil {
		return 0, err
	}
	return s.NSpid[len(s.NSpid)-1], nil
}

// ownPIDNamespace stats this process's pid namespace once: it does not
// change.
var ownPIDNamespace = sync.OnceValues(func() (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Stat("/proc/self/ns/pid", &st)
	return st, err
})

// readAt reads the file name of d whole, with plain system calls into a
// pooled buffer, and parses it.
func readAt[T any](d *Dir, name string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	buf := readBufs.Get().(*[]byte)
	defer readBufs.Put(buf)
	b, err := d.readFile(name, (*buf)[:0])
	*buf = b[:0]
	if err != nil {
		return zero, fmt.Errorf("procfs: %w", err)
	}
	v, err := parse(bytes.NewReader(b))
	if err != nil {
		return zero, fmt.Errorf("procfs: pid %d: %w", d.pid, err)
	}
	return v, nil
}

// readBufs are the buffers readAt reads into.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxFile bounds what readFile reads (maps of a process with a million
// mappings are larger: they are cut, and the last line may be partial,
// which the parsers report as malformed).
const maxFile = 64 << 20

// readFile appends the contents of the file name of d to b.
func (d *Dir) readFile(name string, b []byte) ([]byte, error) {
	fd, err := unix.Openat(int(d.f.Fd()), name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return b, &os.PathError{Op: "open", Path: d.path(name), Err: err}
	}
	defer unix.Close(fd)
	for len(b) < maxFile {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return b, &os.PathError{Op: "read", Path: d.path(name), Err: err}
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	return b, nil
}
