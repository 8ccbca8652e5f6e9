package bpfsampler

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"sync"
)

// schedTraceiters are the tracepoint iterators of the off-CPU programs'
// tracepoints. With one program attached, the kernel calls it straight
// from the tracepoint; with more (another session, another tool), through
// the iterator, which then shows at the leaf of the kernel stacks the
// programs take, above the scheduler (or the wakeup).
var schedTraceiters = []string{"__traceiter_sched_switch", "__traceiter_sched_waking"}

// textRange is the code of a kernel function, [start, end).
type textRange struct{ start, end uint64 }

// traceiters are the code of the tracepoint iterators.
type traceiters []textRange

// trim returns frames, leaf first, without a leaf frame in an iterator.
func (t traceiters) trim(frames []uint64) []uint64 {
	if len(frames) == 0 {
		return frames
	}
	for _, r := range t {
		if frames[0] >= r.start && frames[0] < r.end {
			return frames[1:]
		}
	}
	return frames
}

// kernelTraceiters returns the code of schedTraceiters from
// /proc/kallsyms, read once per process (about 50 ms of system time): none
// when the file cannot be read or hides its addresses, and then no frame
// is dropped.
var kernelTraceiters = sync.OnceValue(func() traceiters {
	f, err := os.Open("/proc/kallsyms")
	if err != nil {
		return nil
	}
	defer f.Close()
	t, err := readTraceiters(f, schedTraceiters)
	if err != nil {
		return nil
	}
	return t
})

// readTraceiters reads the functions named names from r, in the format of
// /proc/kallsyms ("ADDRESS TYPE NAME[\t[MODULE]]", in address order), each
// ending where the next symbol at a higher address starts. A function
// found with no symbol after it, a zero address (hidden) and malformed
// lines are skipped.
func readTraceiters(r io.Reader, names []string) (traceiters, error) {
	var t traceiters
	open := false // the last function of t is found, its end not yet
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		a, rest, _ := bytes.Cut(sc.Bytes(), []byte{' '})
		_, name, ok := bytes.Cut(rest, []byte{' '})
		if !ok {
			continue
		}
		wanted := slices.ContainsFunc(names, func(n string) bool { return string(name) == n }) // a module's has "\t[MODULE]"
		if !open && !wanted {
			continue // most lines: the address is not needed
		}
		addr, err := strconv.ParseUint(string(a), 16, 64)
		if err != nil || addr == 0 {
			continue
		}
		if open && addr > t[len(t)-1].start {
			t[len(t)-1].end = addr
			open = false
		}
		if wanted {
			if open { // at the same address as the last: that one has no end
				t = t[:len(t)-1]
			}
			t = append(t, textRange{start: addr})
			open = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading kallsyms: %w", err)
	}
	if open {
		t = t[:len(t)-1]
	}
	return t, nil
}
