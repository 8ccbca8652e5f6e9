package scope

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/flamekit/flamekit/flamegraph/collapse"
)

// namePerf sets the Frames of the stacks of keys, as collapse.Perf names
// them: it folds a text with one sample per distinct stack, whose header
// has the stack's comm and the stack's id for PID, with the PID option, so
// that each stack folds apart under the process frame "comm-ID", from
// which it is found again. collapse.Perf is then the one place perf script
// frames are named (offsets, inline chains, [unknown] frames, tidying, the
// 'L' of java class names, annotations).
func namePerf(keys []string, stacks []Stack, opts PerfOptions) error {
	text := &namingText{keys: keys}
	folded, _, err := collapse.Perf(text, collapse.PerfOptions{PID: true, Kernel: opts.Kernel, JIT: opts.JIT, Addrs: opts.Addrs, Threads: 1})
	if err != nil {
		return namingError{fmt.Errorf("scope: naming stacks: %w", err)}
	}
	named := make([]bool, len(keys))
	n := 0
	for _, s := range folded.Stacks {
		id, rest, ok := stackID(keys, s.Frames)
		if !ok || named[id] {
			continue
		}
		stacks[id].Frames = processFrame(keyComm(keys[id])) + rest
		named[id] = true
		n++
	}
	if n != len(keys) {
		return namingError{fmt.Errorf("%w: %d of %d stacks could not be named", ErrFormat, len(keys)-n, len(keys))}
	}
	return nil
}

// namingError is an error of naming stacks, which ReadHeatMap, naming
// none, does not meet; its text is its error's.
type namingError struct{ err error }

func (e namingError) Error() string { return e.err.Error() }
func (e namingError) Unwrap() error { return e.err }

// namingText is the text namePerf folds, made a sample at a time as it is
// read.
type namingText struct {
	keys []string
	next int    // the key whose sample is made next
	buf  []byte // the sample made last, reused for the next
	off  int    // what of buf was read
}

func (t *namingText) Read(p []byte) (int, error) {
	for t.off == len(t.buf) {
		if t.next == len(t.keys) {
			return 0, io.EOF
		}
		k := t.keys[t.next]
		nl := strings.IndexByte(k, '\n')
		t.buf = appendNamingHeader(t.buf[:0], k[1:nl], t.next)
		for body := k[nl+1:]; body != ""; {
			l, rest, _ := strings.Cut(body, "\n")
			t.buf = append(appendFrameLine(t.buf, l), '\n')
			body = rest
		}
		t.buf = append(t.buf, '\n')
		t.off = 0
		t.next++
	}
	n := copy(p, t.buf[t.off:])
	t.off += n
	return n, nil
}

// appendNamingHeader appends the header of a sample of namingText: one
// collapse.Perf reads comm from, with pid as its PID and a constant event.
func appendNamingHeader[S string | []byte](text []byte, comm S, pid int) []byte {
	return fmt.Appendf(text, "%s %d/1 [000] 1.000000: 1 cpu-clock:\n", comm, pid)
}

// keyComm returns the comm of a sample key.
func keyComm(k string) string {
	return k[1:strings.IndexByte(k, '\n')]
}

// processFrame is the process frame collapse.Perf makes of a comm.
func processFrame(comm string) string {
	return strings.ReplaceAll(comm, " ", "_")
}

// stackID finds which stack a folded stack of name's text is: the one whose
// "comm-ID" process frame it starts with. rest is what follows that frame.
func stackID(keys []string, frames string) (id int, rest string, ok bool) {
	for i := 0; i < len(frames); i++ {
		if frames[i] != '-' {
			continue
		}
		j := i + 1
		for j < len(frames) && isDigit(frames[j]) {
			j++
		}
		if j == i+1 || j < len(frames) && frames[j] != ';' {
			continue
		}
		n, err := strconv.Atoi(frames[i+1 : j])
		if err != nil || n >= len(keys) {
			continue
		}
		if frames[:i] == processFrame(keyComm(keys[n])) {
			return n, frames[j:], true
		}
	}
	return 0, "", false
}
