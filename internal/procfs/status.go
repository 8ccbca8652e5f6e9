package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
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
