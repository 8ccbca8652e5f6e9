package scope

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// LatencyBucket returns the log2 bucket of a block of duration d, counted
// in whole microseconds as bcc's tools count them: bucket 0 holds 0 and 1
// µs, bucket k (k ≥ 1) 2^k to 2^(k+1)-1 µs, so that a 1.5 ms block is in
// bucket 10 (1024 -> 2047) and a 100 ms one in bucket 16 (65536 ->
// 131071).
func LatencyBucket(d time.Duration) int {
	return max(bits.Len64(uint64(max(d, 0)/time.Microsecond))-1, 0)
}

// BucketBounds returns the lowest and highest durations, in microseconds,
// of bucket b, as bcc prints them ("1024 -> 2047").
func BucketBounds(b int) (low, high uint64) {
	if b <= 0 {
		return 0, 1
	}
	return 1 << b, 1<<(b+1) - 1
}

// Histogram counts blocks by LatencyBucket.
type Histogram struct {
	// Counts holds each bucket's count, up to the last bucket counted.
	Counts []uint64
	// Total is the blocks' summed duration.
	Total time.Duration
}

// add counts a block of duration d.
func (h *Histogram) add(d time.Duration) {
	b := LatencyBucket(d)
	if b >= len(h.Counts) {
		h.Counts = append(h.Counts, make([]uint64, b+1-len(h.Counts))...)
	}
	h.Counts[b]++
	h.Total += d
}

// N returns the number of blocks counted.
func (h *Histogram) N() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// FuncHistogram is the histogram of one function's blocks.
type FuncHistogram struct {
	Func string
	Histogram
}

// Histogram returns the histogram of all the blocks.
func (b *Blocks) Histogram() *Histogram {
	h := &Histogram{}
	for _, bl := range b.Blocks {
		h.add(bl.Duration)
	}
	return h
}

// FuncHistograms returns a histogram per function (Block.Func), the
// function with the most blocks first (then by name); blocks of no user
// function are counted under "[no user stack]".
func (b *Blocks) FuncHistograms() []FuncHistogram {
	hs := make([]FuncHistogram, len(b.Funcs)+1)
	for i, f := range b.Funcs {
		hs[i].Func = f
	}
	hs[len(b.Funcs)].Func = "[no user stack]"
	for _, bl := range b.Blocks {
		i := bl.Func
		if i < 0 || i >= len(b.Funcs) {
			i = len(b.Funcs)
		}
		hs[i].add(bl.Duration)
	}
	hs = slices.DeleteFunc(hs, func(h FuncHistogram) bool { return len(h.Counts) == 0 })
	slices.SortStableFunc(hs, func(x, y FuncHistogram) int {
		if c := cmp.Compare(y.N(), x.N()); c != 0 {
			return c
		}
		return cmp.Compare(x.Func, y.Func)
	})
	return hs
}

// histStars is the width of the distribution column, as bcc's.
const histStars = 40

// WriteTo writes the histogram as bcc's log2 histograms print (funclatency,
// offcputime users' histograms), from the 0 -> 1 µs bucket up to the last
// one counted, then a line of its count, average and total:
//
//	     usecs               : count     distribution
//	         0 -> 1          : 0        |                                        |
//	...
//	      1024 -> 2047       : 60       |****************************************|
//	...
//	     65536 -> 131071     : 3        |**                                      |
//
//	avg = 6564 usecs, total: 413541 usecs, count: 63
//
// A histogram of no block writes its count line alone.
func (h *Histogram) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	var peak uint64
	for _, c := range h.Counts {
		peak = max(peak, c)
	}
	header, row, stars := "     %-19s : count     distribution\n", "%10d -> %-10d : %-8d |%s|\n", histStars
	if len(h.Counts) > 32 {
		header, row, stars = "               %-29s : count     distribution\n", "%20d -> %-20d : %-8d |%s|\n", histStars/2
	}
	if len(h.Counts) > 0 {
		fmt.Fprintf(cw, header, "usecs")
	}
	for b, c := range h.Counts {
		lo, hi := BucketBounds(b)
		fmt.Fprintf(cw, row, lo, hi, c, starBar(c, peak, stars))
	}
	n := h.N()
	var avg uint64
	if n > 0 {
		avg = uint64(h.Total/time.Microsecond) / n
	}
	fmt.Fprintf(cw, "\navg = %d usecs, total: %d usecs, count: %d\n", avg, h.Total/time.Microsecond, n)
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("scope: writing histogram: %w", err)
	}
	return cw.n, nil
}

// starBar is a count's bar: width stars for the peak, as many fewer as
// the count is smaller (bcc's: count*width/peak rounded down), padded.
func starBar(c, peak uint64, width int) string {
	n := 0
	if peak > 0 {
		n = int(c * uint64(width) / peak)
	}
	return strings.Repeat("*", n) + strings.Repeat(" ", width-n)
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteHistograms writes the histogram of all of b's blocks, then, when
// byFunc is set, one per function (FuncHistograms), each headed by a line
// "function = NAME" as bcc's tools head a histogram per key.
func (b *Blocks) WriteHistograms(w io.Writer, byFunc bool) error {
	if _, err := b.Histogram().WriteTo(w); err != nil {
		return err
	}
	if !byFunc {
		return nil
	}
	for _, fh := range b.FuncHistograms() {
		if _, err := fmt.Fprintf(w, "\nfunction = %s\n", fh.Func); err != nil {
			return fmt.Errorf("scope: writing histogram: %w", err)
		}
		if _, err := fh.WriteTo(w); err != nil {
			return err
		}
	}
	return nil
}
