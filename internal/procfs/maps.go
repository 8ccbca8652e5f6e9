package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unique"
)

// Mapping is one line of /proc/PID/maps: a range of the address space and
// what backs it.
type Mapping struct {
	Start, End uint64 // [Start, End) in the process's address space
	Offset     uint64 // file offset of Start; 0 for anonymous memory
	Perms      string // "r-xp" and the like: read, write, execute, private or shared
	Major      uint32 // device of the backing file
	Minor      uint32
	Inode      uint64 // inode of the backing file; 0 for anonymous memory
	// Path is the backing file as the process saw it, "" for anonymous
	// memory, or a pseudo path: "[heap]", "[stack]", "[vdso]", "[vvar]",
	// "[anon:NAME]", "/memfd:NAME", "//anon", ... The kernel's " (deleted)"
	// suffix is removed and reported in Deleted.
	Path    string
	Deleted bool // the file was deleted (or replaced) after it was mapped
}

// Executable reports whether the mapping may hold running code.
func (m *Mapping) Executable() bool { return len(m.Perms) > 2 && m.Perms[2] == 'x' }

// Anonymous reports whether the mapping has no file behind it (or only a
// pseudo file that holds no symbols): JIT compilers put their code there.
// It follows perf's notion (tools/perf/util/map.c): no path, "//anon",
// "/dev/zero", "/anon_hugepage", plus the kernel's names for named
// anonymous memory, "[anon:NAME]" and "[anon_shmem:NAME]".
func (m *Mapping) Anonymous() bool {
	switch {
	case m.Path == "", m.Path == "//anon", m.Path == "/dev/zero", strings.HasPrefix(m.Path, "/anon_hugepage"):
		return true
	}
	return strings.HasPrefix(m.Path, "[anon:") || strings.HasPrefix(m.Path, "[anon_shmem:")
}

// Pseudo reports whether Path is a kernel-made name in brackets, such as
// "[vdso]", "[heap]" or "[anon:NAME]", rather than a file.
func (m *Mapping) Pseudo() bool {
	return strings.HasPrefix(m.Path, "[") && strings.HasSuffix(m.Path, "]")
}

// ReadExecutableMaps reads the executable mappings of /proc/PID/maps, the
// ones that may hold running code: what a symbolizer needs. Other lines
// are skipped before they are parsed, without allocating.
func ReadExecutableMaps(pid int) ([]Mapping, error) {
	d, err := OpenDir(pid)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.ExecutableMaps()
}

// ParseMaps parses the format of /proc/PID/maps, one mapping per line:
//
//	START-END PERMS OFFSET MAJOR:MINOR INODE [PATH[ (deleted)]]
//
// with hexadecimal START, END, OFFSET, MAJOR and MINOR and a decimal INODE.
// Paths may hold spaces. A malformed line yields an error wrapping
// ErrMalformed that names the line. Perms and Path are canonical copies
// (unique.Make): processes map the same few files.
func ParseMaps(r io.Reader) ([]Mapping, error) {
	return parseMaps(r, false)
}

// ParseExecutableMaps is ParseMaps for the executable mappings only.
func ParseExecutableMaps(r io.Reader) ([]Mapping, error) {
	return parseMaps(r, true)
}

func parseMaps(r io.Reader, execOnly bool) ([]Mapping, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var maps []Mapping
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSuffix(sc.Bytes(), []byte{'\r'})
		if len(line) == 0 || execOnly && !executableLine(line) {
			continue
		}
		m, err := parseMapsLine(string(line))
		if err != nil {
			return nil, fmt.Errorf("maps line %d: %w", n, err)
		}
		maps = append(maps, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("maps: %w", err)
	}
	return maps, nil
}

// executableLine reports whether a maps line's permissions (its second
// field) allow execution. A malformed line counts as executable, so that
// parsing it reports the error.
func executableLine(line []byte) bool {
	line = bytes.TrimLeft(line, " \t") // as cutField splits fields
	i := bytes.IndexAny(line, " \t")
	if i < 0 {
		return true
	}
	perms := bytes.TrimLeft(line[i:], " \t")
	return len(perms) < 3 || perms[2] == 'x'
}

func parseMapsLine(line string) (Mapping, error) {
	var m Mapping
	bad := func(what string) (Mapping, error) {
		return Mapping{}, fmt.Errorf("%w: bad %s in %q", ErrMalformed, what, line)
	}
	rng, rest := cutField(line)
	perms, rest := cutField(rest)
	off, rest := cutField(rest)
	dev, rest := cutField(rest)
	ino, rest := cutField(rest)
	lo, hi, ok := strings.Cut(rng, "-")
	var err error
	if !ok {
		return bad("range")
	}
	if m.Start, err = strconv.ParseUint(lo, 16, 64); err != nil {
		return bad("start")
	}
	if m.End, err = strconv.ParseUint(hi, 16, 64); err != nil || m.End < m.Start {
		return bad("end")
	}
	if len(perms) != 4 {
		return bad("permissions")
	}
	m.Perms = unique.Make(perms).Value() // not a view of the line
	if m.Offset, err = strconv.ParseUint(off, 16, 64); err != nil {
		return bad("offset")
	}
	maj, min, ok := strings.Cut(dev, ":")
	major, err1 := strconv.ParseUint(maj, 16, 32)
	minor, err2 := strconv.ParseUint(min, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return bad("device")
	}
	m.Major, m.Minor = uint32(major), uint32(minor)
	if m.Inode, err = strconv.ParseUint(ino, 10, 64); err != nil {
		return bad("inode")
	}
	m.Path = strings.TrimLeft(rest, " \t")
	if p, ok := strings.CutSuffix(m.Path, " (deleted)"); ok {
		m.Path, m.Deleted = p, true
	}
	m.Path = unique.Make(m.Path).Value()
	return m, nil
}

// cutField splits off the first space-separated field of s, skipping the
// spaces before it; rest starts at the separator.
func cutField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}
