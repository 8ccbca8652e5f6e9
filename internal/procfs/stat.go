package procfs

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// userHZ is the unit of the times in /proc/PID/stat (USER_HZ, 100 on Linux
// for x86-64).
const userHZ = 100

// bootTime reads the boot time from /proc/stat once: it does not change.
var bootTime = sync.OnceValues(func() (time.Time, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return time.Time{}, fmt.Errorf("procfs: %w", err)
	}
	defer f.Close()
	return ParseBootTime(f)
})

// ParseStatStartTime returns field 22 of /proc/PID/stat, the start time in
// clock ticks after boot. The command name (field 2) may hold spaces and
// parentheses; fields are counted after its last ')'.
func ParseStatStartTime(stat []byte) (uint64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: stat without a command name", ErrMalformed)
	}
	fields := bytes.Fields(stat[i+1:])
	const startTime = 22 - 3 // fields 1 and 2 are before the ')'
	if len(fields) <= startTime {
		return 0, fmt.Errorf("%w: stat has %d fields", ErrMalformed, len(fields)+2)
	}
	ticks, err := strconv.ParseUint(string(fields[startTime]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: stat start time %q", ErrMalformed, fields[startTime])
	}
	return ticks, nil
}

// ParseBootTime returns the boot time from the "btime SECONDS" line of
// /proc/stat.
func ParseBootTime(r io.Reader) (time.Time, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("btime ")); ok {
			s, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("%w: btime %q", ErrMalformed, v)
			}
			return time.Unix(s, 0), nil
		}
	}
	if err := sc.Err(); err != nil {
		return time.Time{}, fmt.Errorf("procfs: /proc/stat: %w", err)
	}
	return time.Time{}, fmt.Errorf("%w: no btime in /proc/stat", ErrMalformed)
}
