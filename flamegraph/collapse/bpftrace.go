package collapse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/flamekit/flamekit/flamegraph"
)

var (
	// bpftraceMapName matches a map's name at the start of an entry line.
	// The patterns of the reader are compiled when it first reads, not
	// when the package is initialised.
	bpftraceMapName = lazyRegexp(`^@[A-Za-z0-9_]*`)
	// bpftraceKeyEnd matches the end of a map key and the entry's value:
	// "...]: 42".
	bpftraceKeyEnd = lazyRegexp(`^(.*)\]:[ \t]*([0-9.]+)[ \t]*$`)
	// bpftraceValue matches a value that counts.
	bpftraceValue = lazyRegexp(`^[0-9]+(\.[0-9]+)?$`)
)

// Bpftrace folds the maps bpftrace prints at exit (or with print()), such as
// those of
//
//	bpftrace -e 'profile:hz:99 { @[kstack, ustack, comm] = count(); }'
//
// An entry's key may hold stacks (kstack, ustack, in either symbol mode),
// printed one frame a line, leaf first, and single-line values (comm, pid,
// strings), in any order; keys of single-line values only, such as
// @[comm, pid], and maps without a key (@samples: 42) are read too. The entry's
// value (count(), sum(), ...) is the count.
//
// Each frame is its line without the indentation, as stackcollapse-bpftrace.pl
// keeps it: offsets ("vfs_read+142") and, with ustack(perf), addresses and
// modules stay. An entry's folded stack is its single-line values in key
// order (split at ", "), then its stacks root first, the last stack of the key
// at the root, so the usual @[kstack, ustack, comm] gives
// comm;user frames;-;kernel frames. A "-" frame separates two non-empty
// stacks, as bcc's `profile -fd` does; empty stacks are dropped (the perl
// drops the whole entry when the first stack is empty). An entry with no
// frames left is named after its map.
//
// All maps are read. When the output holds more than one map, every stack
// starts with its map's name ("@", "@name") so that the maps stand side by
// side in a flame graph rather than adding up. Histograms and stats() lines,
// and other lines that are not map entries, are counted in the profile's
// Skipped; "Attaching N probes..." and blank lines are ignored. A map
// printed several times (print() in an interval) adds up. Only a read error
// fails, with the profile read up to it. The returned [Stats] names the
// format.
func Bpftrace(r io.Reader, opts BpftraceOptions) (*flamegraph.Profile, Stats, error) {
	stats := Stats{Format: FormatBpftrace}
	f := bpftraceFolder{p: &flamegraph.Profile{}, distinct: map[string]bool{}}
	lr := lineReader{r: bufio.NewReaderSize(r, 64<<10)}
	for {
		line, err := lr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errLongLine) {
			f.p.Skipped.Add(lr.lineNo, line)
			f.entry = nil
			continue
		}
		if err != nil {
			return f.p, stats, fmt.Errorf("collapse: reading bpftrace output at line %d: %w", lr.lineNo, err)
		}
		if f.entry != nil && f.keyLine(line, lr.lineNo) {
			continue
		}
		f.line(line, lr.lineNo)
	}
	return f.finish(), stats, nil
}

// BpftraceOptions is for the options of [Bpftrace]; it has none yet, and
// its zero value is the behaviour described there.
type BpftraceOptions struct{}

// bpftraceFolder folds bpftrace's map entries as Bpftrace reads them.
type bpftraceFolder struct {
	p        *flamegraph.Profile
	maps     []string        // the map of each stack in p.Stacks
	distinct map[string]bool // the maps seen
	entry    *bpftraceEntry  // the entry whose key is being read, or nil
}

// add adds an entry's stack, named after its map when it has no frames.
func (f *bpftraceFolder) add(name, frames string, count float64) {
	if frames == "" {
		frames = name
	}
	f.p.Add(frames, count)
	f.maps = append(f.maps, name)
	f.distinct[name] = true
}

// line reads a line outside an entry's key: the start of an entry, a map
// without a key, or a line to skip or ignore.
func (f *bpftraceFolder) line(line []byte, lineNo int) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || bpftraceAttaching.Match(trimmed) {
		return
	}
	name := bpftraceMapName().Find(line)
	if name == nil {
		f.p.Skipped.Add(lineNo, line)
		return
	}
	rest := line[len(name):]
	switch {
	case len(rest) > 0 && rest[0] == '[':
		f.entry = &bpftraceEntry{name: string(name), lineNo: lineNo, first: bytes.Clone(line)}
		if count, done, ok := f.entry.segment(rest[1:]); done {
			f.endEntry(count, ok, lineNo, line)
		}
	case len(rest) > 0 && rest[0] == ':':
		if count, ok := parseValue(bytes.TrimSpace(rest[1:])); ok {
			f.add(string(name), "", count)
			return
		}
		f.p.Skipped.Add(lineNo, line) // a histogram or stats()
	default:
		f.p.Skipped.Add(lineNo, line)
	}
}

// keyLine reads a line of the key of the entry being read: a frame, or a
// segment after a stack. It reports false when the line is not part of the
// key: the entry was cut short, is skipped, and the line is to be read
// afresh.
func (f *bpftraceFolder) keyLine(line []byte, lineNo int) bool {
	e := f.entry
	switch {
	case len(bytes.TrimSpace(line)) == 0 || line[0] == '@':
		f.p.Skipped.Add(e.lineNo, e.first)
		f.entry = nil
		return false
	case line[0] == ',' || line[0] == ']':
		if line[0] == ',' {
			line = line[1:]
		}
		if count, done, ok := e.segment(line); done {
			f.endEntry(count, ok, lineNo, line)
		}
	default:
		e.addFrame(string(bytes.TrimSpace(line)))
	}
	return true
}

// endEntry ends the entry being read at the line that closes its key: its
// stack is added with count when ok, or else that line is skipped.
func (f *bpftraceFolder) endEntry(count float64, ok bool, lineNo int, line []byte) {
	if ok {
		f.add(f.entry.name, f.entry.frames(), count)
	} else {
		f.p.Skipped.Add(lineNo, line)
	}
	f.entry = nil
}

// finish skips an entry the input ended in and, when there was more than
// one map, starts each stack with its map's name. It returns the profile.
func (f *bpftraceFolder) finish() *flamegraph.Profile {
	if f.entry != nil {
		f.p.Skipped.Add(f.entry.lineNo, f.entry.first)
	}
	if len(f.distinct) > 1 {
		for i := range f.p.Stacks {
			if f.p.Stacks[i].Frames != f.maps[i] {
				f.p.Stacks[i].Frames = f.maps[i] + ";" + f.p.Stacks[i].Frames
			}
		}
	}
	return f.p
}

// bpftraceEntry collects the key of one map entry as it is read.
type bpftraceEntry struct {
	name   string     // the map's name, "@" or "@name"
	lineNo int        // the line the entry starts on
	first  []byte     // that line, for Profile.Skipped
	values []string   // single-line key values, in key order
	stacks [][]string // stacks in key order, each leaf first as printed
}

// segment reads the single-line part of a key: the text after "[" on the
// entry's first line, or a line that starts after a stack with "," or "]".
// It reports done when the text ends the key, with the entry's count, and ok
// when that count is usable. Otherwise a stack follows.
func (e *bpftraceEntry) segment(text []byte) (count float64, done, ok bool) {
	m := bpftraceKeyEnd().FindSubmatch(text)
	if m != nil {
		text = m[1]
	}
	for _, v := range strings.Split(string(text), ",") {
		if v = strings.TrimSpace(v); v != "" {
			e.values = append(e.values, v)
		}
	}
	if m == nil {
		e.stacks = append(e.stacks, nil)
		return 0, false, false
	}
	count, ok = parseValue(m[2])
	return count, true, ok
}

// addFrame adds a frame line to the stack being read.
func (e *bpftraceEntry) addFrame(frame string) {
	last := len(e.stacks) - 1
	e.stacks[last] = append(e.stacks[last], frame)
}

// parseValue parses a map entry's value, a non-negative number.
func parseValue(b []byte) (float64, bool) {
	if !bpftraceValue().Match(b) {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(b), 64)
	return v, err == nil
}

// frames returns the entry's folded stack: its single-line values, then its
// stacks from the last to the first, each root first, with "-" between.
func (e *bpftraceEntry) frames() string {
	var b strings.Builder
	sep := func() {
		if b.Len() > 0 {
			b.WriteByte(';')
		}
	}
	for _, v := range e.values {
		sep()
		b.WriteString(flamegraph.FrameName(v))
	}
	stacks := 0
	for i := len(e.stacks) - 1; i >= 0; i-- {
		s := e.stacks[i]
		if len(s) == 0 {
			continue
		}
		if stacks > 0 {
			sep()
			b.WriteByte('-')
		}
		stacks++
		for j := len(s) - 1; j >= 0; j-- {
			sep()
			b.WriteString(flamegraph.FrameName(s[j]))
		}
	}
	return b.String()
}

// errLongLine reports a line longer than lineReader keeps.
var errLongLine = errors.New("line too long")

// maxLine is the longest line a lineReader returns whole.
const maxLine = 1 << 20

// lineReader reads lines without their line ends, counting them. A line
// longer than maxLine is returned cut, with errLongLine, and the rest of it
// is discarded.
type lineReader struct {
	r      *bufio.Reader
	lineNo int
	buf    []byte
}

// next returns the next line, valid until the following call, or io.EOF
// when there are no more.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	long := false
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if len(lr.buf)+len(chunk) > maxLine {
			long = true
			chunk = chunk[:maxLine-len(lr.buf)]
		}
		lr.buf = append(lr.buf, chunk...)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && (!errors.Is(err, io.EOF) || len(lr.buf) == 0) {
			return nil, err
		}
		lr.lineNo++
		line := bytes.TrimSuffix(bytes.TrimSuffix(lr.buf, []byte("\n")), []byte("\r"))
		if long {
			return line, errLongLine
		}
		return line, nil
	}
}

// lazyRegexp returns a function that compiles expr the first time it is
// called and returns it.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
