package perfscript

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"sync"

	"github.com/flamekit/flamekit/flamegraph"
	"github.com/flamekit/flamekit/flamegraph/collapse/internal/stream"
)

// The parallel reader. This goroutine reads the input in chunks and cuts
// each after its last blank line, where a parser's state is empty (a
// dispatcher); worker goroutines fold whole chunks, each into its own
// parser (workers). The chunks' buffers go round through a bufPool. A
// stretch of input longer than Sizes.MaxChunk without a blank line is folded
// by this goroutine alone, from there to the end.

// readParallel folds r with opts.Threads goroutines. It returns their
// parsers, with the skipped lines of all merged into the first, and the
// event type kept.
func readParallel(r io.Reader, opts Options, sizes Sizes) ([]*parser, []byte, error) {
	n := opts.Threads
	pool := newBufPool(n+2, sizes.Chunk)
	ws := startWorkers(n, opts, sizes.Memo/(2*n), pool) // (see Sizes.Memo)
	d := dispatcher{r: r, sizes: sizes, pool: pool, work: ws.work, filter: ws.parsers[0].filter}
	rest, alone, err := d.run()
	skipped, lines := ws.finish()
	ps, filter := ws.parsers, d.filter
	if alone {
		var p *parser
		p, err = readAlone(io.MultiReader(bytes.NewReader(rest), r), opts, sizes, filter, lines)
		skipped.Merge(p.skipped)
		if filter == nil {
			filter = p.filter
		}
		ps = append(ps, p)
	}
	ps[0].skipped = skipped
	return ps, filter, err
}

// readAlone folds the rest of the input in this goroutine, going on from
// lines lines, with the event type kept so far.
func readAlone(r io.Reader, opts Options, sizes Sizes, filter []byte, lines int) (*parser, error) {
	p := newHeapParser(opts, sizes.Memo/(2*opts.Threads))
	if filter != nil {
		p.setFilter(filter)
	}
	p.lines = lines
	err := p.readAll(r, make([]byte, sizes.Chunk))
	return p, err
}

// chunk is a piece of input that ends at a sample boundary (or at EOF).
type chunk struct {
	seq    int
	data   []byte
	buf    []byte // the buffer holding data, to reuse
	filter []byte // the event type kept, when known
	final  bool
}

// chunkLines records the lines a chunk had, to number skipped lines.
type chunkLines struct {
	seq, lines int
	skipped    flamegraph.Skipped
}

// bufPool hands out the chunks' buffers: at most limit of them, each of size
// bytes when made, reused once a worker is done with it.
type bufPool struct {
	free        chan []byte
	made, limit int
	size        int
}

func newBufPool(limit, size int) *bufPool {
	return &bufPool{free: make(chan []byte, limit), limit: limit, size: size}
}

// get returns a free buffer, or a new one while fewer than limit were made,
// or else waits for one.
func (b *bufPool) get() []byte {
	select {
	case buf := <-b.free:
		return buf
	default:
	}
	if b.made < b.limit {
		b.made++
		return make([]byte, b.size)
	}
	return <-b.free
}

// put gives a buffer back, whole.
func (b *bufPool) put(buf []byte) { b.free <- buf[:cap(buf)] }

// workers fold the chunks sent on work, each into its own parser, and
// record the lines of each chunk.
type workers struct {
	work    chan chunk
	parsers []*parser
	lines   [][]chunkLines // per worker
	wg      sync.WaitGroup
}

// startWorkers starts n workers whose parsers' memos may take memo bytes
// each.
func startWorkers(n int, opts Options, memo int, pool *bufPool) *workers {
	ws := &workers{work: make(chan chunk, n), parsers: make([]*parser, n), lines: make([][]chunkLines, n)}
	for w := range n {
		ws.parsers[w] = newHeapParser(opts, memo)
		ws.wg.Go(func() { ws.fold(w, pool) })
	}
	return ws
}

// fold is worker w: it folds chunks until work is closed.
func (ws *workers) fold(w int, pool *bufPool) {
	p := ws.parsers[w]
	for c := range ws.work {
		if c.filter != nil && !p.filterSet {
			p.setFilter(c.filter)
		}
		p.lines, p.skipped = 0, flamegraph.Skipped{}
		p.feed(c.data, c.final)
		ws.lines[w] = append(ws.lines[w], chunkLines{c.seq, p.lines, p.skipped})
		pool.put(c.buf)
	}
}

// finish waits for the workers to fold every chunk sent and returns the
// lines they skipped, numbered in the input, and the lines of all chunks.
func (ws *workers) finish() (skipped flamegraph.Skipped, lines int) {
	close(ws.work)
	ws.wg.Wait()
	var all []chunkLines
	for _, cl := range ws.lines {
		all = append(all, cl...)
	}
	slices.SortFunc(all, func(a, b chunkLines) int { return cmp.Compare(a.seq, b.seq) })
	for _, c := range all {
		if c.skipped.Lines > 0 {
			skipped.Merge(flamegraph.Skipped{Lines: c.skipped.Lines, FirstLine: lines + c.skipped.FirstLine, First: c.skipped.First})
		}
		lines += c.lines
	}
	return skipped, lines
}

// dispatcher reads the input and sends it to the workers in chunks that end
// at sample boundaries.
type dispatcher struct {
	r      io.Reader
	sizes  Sizes
	pool   *bufPool
	work   chan<- chunk
	filter []byte // the event type kept, once known
	seq    int    // the chunks sent
}

// run dispatches the input until it ends or fails. When a stretch of it
// has no sample boundary within Sizes.MaxChunk, run stops there and reports
// alone, with rest the input read but not sent, for this goroutine to fold.
func (d *dispatcher) run() (rest []byte, alone bool, err error) {
	cur, have := d.pool.get(), 0
	scanned := 0 // cur[:scanned] has no blank line
	for {
		k, eof, err := stream.Fill(d.r, cur[have:])
		have += k
		if err != nil {
			return nil, false, err
		}
		data := cur[:have]
		cut := len(data)
		if !eof {
			if cut = lastBlank(data, scanned); cut == 0 {
				scanned = len(data)
				if len(cur) < d.sizes.MaxChunk {
					cur = append(cur, make([]byte, len(cur))...)
					continue
				}
				return data, true, nil // no sample boundary in sight
			}
		}
		if d.filter == nil {
			d.filter = firstEvent(data[:cut])
		}
		var next []byte
		if !eof {
			next, have = d.carry(data[cut:])
			scanned = have
		}
		d.work <- chunk{seq: d.seq, data: data[:cut], buf: cur, filter: d.filter, final: eof}
		d.seq++
		if eof {
			return nil, false, nil
		}
		cur = next
	}
}

// carry returns the buffer of the next chunk, which starts with tail, the
// input after the last sample boundary, and has room for a read.
func (d *dispatcher) carry(tail []byte) (next []byte, have int) {
	next = d.pool.get()
	if need := len(tail) + d.sizes.Chunk; len(next) < need {
		next = slices.Grow(next[:0], need)[:need]
	}
	return next, copy(next, tail)
}

// lastBlank returns the offset just past the last blank line of data that
// ends at or after from, or 0 if there is none.
func lastBlank(data []byte, from int) int {
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
