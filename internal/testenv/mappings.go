package testenv

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// mappingTable maps the start address of each memory mapping of a file or
// a kernel object (a perf event's ring buffer, a BPF map) to its line of
// /proc/self/maps. Such a mapping keeps what it maps alive after its
// descriptor is closed, so a ring buffer left mapped is a perf event left
// open.
type mappingTable map[uint64]string

// fileMappings reads this process's mappings of files and kernel objects;
// anonymous memory and the kernel's [heap], [stack] and [vdso] are left
// out.
func fileMappings() (mappingTable, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	defer f.Close()
	t := mappingTable{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// START-END PERMS OFFSET DEV INODE PATH
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || strings.HasPrefix(fields[5], "[") {
			continue
		}
		start, _, _ := strings.Cut(fields[0], "-")
		n, err := strconv.ParseUint(start, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("testenv: /proc/self/maps: %q: %w", sc.Text(), err)
		}
		t[n] = sc.Text()
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("testenv: /proc/self/maps: %w", err)
	}
	return t, nil
}

// mappedSince returns the lines of t whose mapping before did not have at
// that address, in address order.
func (t mappingTable) mappedSince(before mappingTable) []string {
	var starts []uint64
	for start, line := range t {
		if was, ok := before[start]; !ok || mappedPath(was) != mappedPath(line) {
			starts = append(starts, start)
		}
	}
	slices.Sort(starts)
	lines := make([]string, len(starts))
	for i, n := range starts {
		lines[i] = t[n]
	}
	return lines
}

// mappedPath returns what a line of /proc/self/maps maps.
func mappedPath(line string) string {
	fields := strings.Fields(line)
	if len(fields) < 6 {
		return ""
	}
	return strings.Join(fields[5:], " ")
}
