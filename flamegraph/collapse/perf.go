package collapse

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/flamekit/flamekit/flamegraph"
)

// PerfOptions selects what Perf keeps of `perf script` output, with the
// meanings of stackcollapse-perf.pl's flags. The zero value folds the first
// event type with one frame per function and the comm as the root frame.
type PerfOptions struct {
	PID         bool   // --pid: process frame "comm-PID"
	TID         bool   // --tid: process frame "comm-PID/TID" (takes precedence over PID)
	Kernel      bool   // --kernel: annotate kernel frames with _[k] (see Perf)
	JIT         bool   // --jit: annotate JIT frames with _[j] (see Perf)
	All         bool   // --all: Kernel and JIT
	Addrs       bool   // --addrs: name [unknown] frames with their address
	EventFilter string // keep samples of this event only (default: the first seen)
	Threads     int    // worker goroutines; 0 or 1 means one

	// Stats, when not nil, is filled in with what Perf read.
	Stats *PerfStats
}

// PerfStats describes what Perf read, beyond the folded stacks.
type PerfStats struct {
	// Event is the event type whose samples were kept: EventFilter, or else
	// the first one a header named ("" when no header named one; then every
	// sample is kept).
	Event string
	// Samples counts the samples folded.
	Samples int
	// Filtered counts the samples dropped because their event type was not
	// Event. stackcollapse-perf.pl warns "Filtering for events of type"
	// when this happens without an EventFilter.
	Filtered int
	// Truncated reports that the input ended inside a sample (no blank line
	// after it). That sample is not counted, as stackcollapse-perf.pl does
	// not: the input was likely cut and the sample may lack its root frames.
	Truncated bool
}

// Perf folds the text that `perf script` prints for samples recorded with
// call graphs (perf record -g), as stackcollapse-perf.pl does: one stack per
// sample, root first, under a process frame named after the comm (spaces
// become '_'), weighted by the sample's period (1 when the header shows
// none). Offsets ("+0x1f") are dropped, inline chains ("f->g") split into
// frames with the inner ones marked _[i], "[unknown]" symbols named after
// their dso, and names tidied: ';' becomes ':', argument lists go (except in
// Go method names and "(anonymous namespace)"), quotes go, and in java
// processes a leading 'L' of class names goes.
//
// Kernel frames are those whose dso is in brackets ("[kernel.kallsyms]",
// "[nf_conntrack]") or ends in "vmlinux", unless it contains "unknown", and,
// beyond the perl, versioned vmlinux files ("vmlinux-6.1.0-18-amd64") and
// module files (".ko", also compressed). JIT frames are those of a perf map
// ("/tmp/perf-PID.map") and, beyond the perl, of the ELF files perf inject
// makes from a jitdump ("jitted-PID-N.so").
//
// Perf streams: it holds one sample, one entry per distinct stack and a
// memo of repeated sample bodies bounded to 8 MiB, never the input. Lines
// starting with '#' are comments; lines it does not recognise are counted in
// Profile.Skipped. CRLF line ends (which the perl does not read) and invalid
// UTF-8 are accepted. Only a read error fails; the profile read up to it is
// returned with the error. io.ErrUnexpectedEOF from r (a gzip stream cut
// short) is such an error, never the end of the input. The stacks come sorted by their frames, each once.
//
// The profile's Unit says what the counts measure. Counts are samples when
// every sample counts 1 (no period shown, or 1); otherwise they are sums of
// periods, in the unit of the event kept: "nanoseconds" for cpu-clock and
// task-clock, whose period is time, and else the event's name without its
// modifiers ("cycles", "page-faults", "sched:sched_switch"), as the period
// of any other event counts its occurrences.
//
// With Threads > 1 the input is cut at sample boundaries and folded by that
// many goroutines; the result is the same as with one.
func Perf(r io.Reader, opts PerfOptions) (*flamegraph.Profile, error) {
	return perfRead(r, opts, perfConfig{chunk: perfChunkSize, maxChunk: perfMaxChunk, memo: perfMemoBudget})
}

// perfConfig holds the sizes Perf works with; tests vary them.
type perfConfig struct {
	chunk    int // read size, and the size of the chunks for the workers
	maxChunk int // the largest chunk the parallel reader makes
	memo     int // bytes the memos of sample bodies may take, in all
}

// perfChunkSize is the read size, and the size of the chunks handed to the
// worker goroutines.
const perfChunkSize = 1 << 20

// perfMaxChunk bounds a chunk that has no sample boundary; past it the
// parallel reader goes on with one goroutine.
const perfMaxChunk = 64 << 20

func perfRead(r io.Reader, opts PerfOptions, cfg perfConfig) (*flamegraph.Profile, error) {
	var (
		ps    []*perfParser
		event []byte
		err   error
	)
	if opts.Threads > 1 {
		ps, event, err = perfParallel(r, opts, cfg)
	} else {
		p := newPerfParser(opts, cfg.memo)
		err = p.readAll(r, make([]byte, cfg.chunk))
		ps, event = []*perfParser{p}, p.filter
	}
	prof := perfProfile(ps)
	weighted := false
	for _, p := range ps {
		weighted = weighted || p.weighted
	}
	prof.Unit = perfUnit(event, weighted)
	if opts.Stats != nil {
		st := PerfStats{Event: string(event)}
		for _, p := range ps {
			st.Samples += p.samples
			st.Filtered += p.filtered
			st.Truncated = st.Truncated || p.truncated
		}
		*opts.Stats = st
	}
	if err != nil {
		return prof, fmt.Errorf("collapse: reading perf script: %w", err)
	}
	return prof, nil
}

// readAll parses r through buf, which grows only for a line longer than it.
func (p *perfParser) readAll(r io.Reader, buf []byte) error {
	have := 0
	for {
		n, eof, err := fill(r, buf[have:])
		have += n
		if err != nil {
			return err
		}
		used := p.feed(buf[:have], eof)
		if eof {
			return nil
		}
		p.detach()
		have = copy(buf, buf[used:have])
		if have == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

// perfProfile merges the stacks of the parsers into a sorted profile.
func perfProfile(ps []*perfParser) *flamegraph.Profile {
	m := ps[0]
	for _, o := range ps[1:] {
		for i, k := range o.keys {
			if j, ok := m.index[k]; ok {
				m.counts[j] += o.counts[i]
			} else {
				m.index[k] = len(m.keys)
				m.keys = append(m.keys, k)
				m.counts = append(m.counts, o.counts[i])
			}
		}
	}
	order := make([]int, len(m.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(m.keys[a], m.keys[b]) })
	prof := &flamegraph.Profile{Stacks: make([]flamegraph.Stack, 0, len(order))}
	for _, i := range order {
		prof.Add(m.keys[i], m.counts[i])
	}
	prof.Skipped = m.skipped
	return prof
}

// perfChunk is a piece of input that ends at a sample boundary (or at EOF).
type perfChunk struct {
	seq    int
	data   []byte
	buf    []byte // the buffer holding data, to reuse
	filter []byte // the event type kept, when known
	final  bool
}

// perfChunkLines records the lines a chunk had, to number skipped lines.
type perfChunkLines struct {
	seq, lines int
	skipped    flamegraph.Skipped
}

// perfParallel folds r with opts.Threads goroutines. This goroutine reads
// chunks and cuts them after their last blank line (the parser's state is
// empty there); each worker folds whole chunks into its own map. It returns
// the workers' parsers, with the skipped lines merged into the first, and
// the event type kept.
func perfParallel(r io.Reader, opts PerfOptions, cfg perfConfig) ([]*perfParser, []byte, error) {
	n, size := opts.Threads, cfg.chunk
	work := make(chan perfChunk, n)
	free := make(chan []byte, n+2)
	made := 0
	getBuf := func() []byte {
		select {
		case b := <-free:
			return b
		default:
		}
		if made < n+2 {
			made++
			return make([]byte, size)
		}
		return <-free
	}

	ps := make([]*perfParser, n)
	chunkLines := make([][]perfChunkLines, n)
	var wg sync.WaitGroup
	for w := range n {
		ps[w] = newPerfParser(opts, cfg.memo/n)
		wg.Go(func() {
			p := ps[w]
			for c := range work {
				if c.filter != nil && !p.filterSet {
					p.setFilter(c.filter)
				}
				p.lines, p.skipped = 0, flamegraph.Skipped{}
				p.feed(c.data, c.final)
				chunkLines[w] = append(chunkLines[w], perfChunkLines{c.seq, p.lines, p.skipped})
				free <- c.buf[:cap(c.buf)]
			}
		})
	}

	var (
		filter  = ps[0].filter // set when opts.EventFilter is
		err     error
		rest    []byte // input read but not dispatched, when a chunk had no boundary
		cur     = getBuf()
		have    = 0
		scanned = 0 // cur[:scanned] has no blank line
		seq     = 0
		serialR io.Reader
	)
	for {
		k, eof, rerr := fill(r, cur[have:])
		have += k
		if rerr != nil {
			err = rerr
			break
		}
		data := cur[:have]
		cut := len(data)
		if !eof {
			if cut = perfLastBlank(data, scanned); cut == 0 {
				scanned = len(data)
				if len(cur) < cfg.maxChunk {
					cur = append(cur, make([]byte, len(cur))...)
					continue
				}
				// No sample boundary in sight: fold the rest in this goroutine.
				rest, serialR = data, r
				break
			}
		}
		if filter == nil {
			filter = perfFirstEvent(data[:cut])
		}
		var next []byte
		if !eof {
			tail := data[cut:]
			next = getBuf()
			if len(next) < len(tail)+size {
				next = slices.Grow(next[:0], len(tail)+size)[:len(tail)+size]
			}
			have = copy(next, tail)
			scanned = have
		}
		work <- perfChunk{seq: seq, data: data[:cut], buf: cur, filter: filter, final: eof}
		seq++
		if eof {
			break
		}
		cur = next
	}
	close(work)
	wg.Wait()

	var all []perfChunkLines
	for _, cl := range chunkLines {
		all = append(all, cl...)
	}
	slices.SortFunc(all, func(a, b perfChunkLines) int { return cmp.Compare(a.seq, b.seq) })
	var skipped flamegraph.Skipped
	base := 0
	for _, c := range all {
		if c.skipped.Lines > 0 {
			skipped.Merge(flamegraph.Skipped{Lines: c.skipped.Lines, FirstLine: base + c.skipped.FirstLine, First: c.skipped.First})
		}
		base += c.lines
	}
	if serialR != nil {
		p := newPerfParser(opts, cfg.memo/n)
		if filter != nil {
			p.setFilter(filter)
		}
		p.lines = base
		err = p.readAll(io.MultiReader(bytes.NewReader(rest), serialR), make([]byte, size))
		skipped.Merge(p.skipped)
		if filter == nil {
			filter = p.filter
		}
		ps = append(ps, p)
	}
	ps[0].skipped = skipped
	return ps, filter, err
}

// perfLastBlank returns the offset just past the last blank line of data
// that ends at or after from, or 0 if there is none.
func perfLastBlank(data []byte, from int) int {
	end := len(data)
	for {
		q := bytes.LastIndexByte(data[:end], '\n')
		if q < from {
			return 0
		}
		start := bytes.LastIndexByte(data[:q], '\n') + 1
		if l := data[start:q]; len(l) == 0 || len(l) == 1 && l[0] == '\r' {
			return q + 1
		}
		end = q
	}
}

// perfFirstEvent returns the event type of the first sample header in data
// that names one, or nil.
func perfFirstEvent(data []byte) []byte {
	for len(data) > 0 {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		if len(l) == 0 || l[0] == '#' || perfSpace(l[0]) {
			continue
		}
		if _, _, _, ok := perfHeader(l); ok {
			if _, ev, ok := perfEvent(l); ok {
				return bytes.Clone(ev)
			}
		}
	}
	return nil
}

// perfModifiers are the letters of perf's event modifiers ("cycles:u",
// "cpu-clock:pppH").
const perfModifiers = "ukhpPGHSDIWebR"

// perfUnit names what Perf's counts measure (see Perf): "" for samples.
func perfUnit(event []byte, weighted bool) string {
	if !weighted || len(event) == 0 {
		return ""
	}
	name := string(event)
	if i := strings.LastIndexByte(name, ':'); i > 0 && i < len(name)-1 && strings.Trim(name[i+1:], perfModifiers) == "" {
		name = name[:i]
	}
	switch name {
	case "cpu-clock", "task-clock":
		return "nanoseconds"
	}
	return name
}
