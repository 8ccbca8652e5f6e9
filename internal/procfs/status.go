package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Status holds the fields of /proc/PID/status that flamekit uses.
type Status struct {
	Name string // the command name (comm), at most 15 bytes
	// UIDs are the real, effective, saved and filesystem user ids.
	UIDs [4]uint32
	// NSpid lists the process's id in each pid namespace it belongs to,
	// outermost first: the last entry is its id inside its own (container)
	// namespace. A kernel without the field yields just the pid.
	NSpid []int
}

// ReadStatus reads and parses /proc/PID/status.
func ReadStatus(pid int) (*Status, error) {
	st, err := readProc(pid, "status", ParseStatus)
	if err != nil {
		return nil, err
	}
	if len(st.NSpid) == 0 {
		st.NSpid = []int{pid}
	}
	return st, nil
}

// NSpid returns the process's ids in the pid namespaces it belongs to,
// outermost first; the last is the id the process knows itself by (the one
// in file names such as /tmp/perf-PID.map written inside a container).
func NSpid(pid int) ([]int, error) {
	st, err := ReadStatus(pid)
	if err != nil {
		return nil, err
	}
	return st.NSpid, nil
}

// ParseStatus parses the "Key:\tvalue" lines of /proc/PID/status, keeping
// the fields of Status; other lines are ignored. Malformed Uid or NSpid
// lines yield an error wrapping ErrMalformed.
func ParseStatus(r io.Reader) (*Status, error) {
	st := new(Status)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() { // lines as bytes: most are skipped, and need no string
		key, val, ok := bytes.Cut(sc.Bytes(), []byte{':'})
		if !ok {
			continue
		}
		val = bytes.TrimSpace(val)
		switch string(key) {
		case "Name":
			st.Name = string(val)
		case "Uid":
			n := 0
			for f := range bytes.FieldsSeq(val) {
				u, err := strconv.ParseUint(string(f), 10, 32)
				if err != nil || n == len(st.UIDs) {
					return nil, fmt.Errorf("%w: Uid line %q", ErrMalformed, val)
				}
				st.UIDs[n] = uint32(u)
				n++
			}
			if n != len(st.UIDs) {
				return nil, fmt.Errorf("%w: Uid line %q", ErrMalformed, val)
			}
		case "NSpid":
			st.NSpid = st.NSpid[:0]
			for f := range bytes.FieldsSeq(val) {
				n, err := strconv.Atoi(string(f))
				if err != nil || n <= 0 {
					return nil, fmt.Errorf("%w: NSpid line %q", ErrMalformed, val)
				}
				st.NSpid = append(st.NSpid, n)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	return st, nil
}

// Exe returns the path of the process's executable as /proc/PID/exe names
// it (with a " (deleted)" suffix if the file was deleted).
func Exe(pid int) (string, error) {
	p, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return "", fmt.Errorf("procfs: %w", err)
	}
	return p, nil
}

// readProc opens /proc/PID/NAME and parses it.
func readProc[T any](pid int, name string, parse func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return zero, fmt.Errorf("procfs: %w", err)
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return zero, fmt.Errorf("procfs: pid %d: %w", pid, err)
	}
	return v, nil
}
