package scope

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/testenv"
)

// Buckets of the sleeps workload's blocks: 1.1 ms and 100 ms.
const (
	shortBucket = 10 // 1024 -> 2047 µs
	longBucket  = 16 // 65536 -> 131071 µs
)

// sleepsPerfScript builds testdata/sleeps.c and returns the offcpu-time
// samples it prints of its own sleeps, timed as it slept them (rounds
// rounds of shorts 1.1 ms sleeps in ppoll and one 100 ms sleep in
// clock_nanosleep), and its own count of them by log2 bucket.
func sleepsPerfScript(t *testing.T, rounds, shorts int) (text []byte, buckets map[int]uint64) {
	t.Helper()
	bin := testenv.BuildC(t, "gcc", "sleeps", []string{"testdata/sleeps.c"}, "-O1", "-g", "-rdynamic", "-fno-omit-frame-pointer")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, strconv.Itoa(rounds), strconv.Itoa(shorts), "--perf-script")
	cmd.Stderr = &stderr
	text, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.Bytes())
	}
	buckets = map[int]uint64{}
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var b int
		var n uint64
		if _, err := fmt.Sscanf(l, "%d %d", &b, &n); err != nil {
			t.Fatalf("%s's histogram: %q: %v", bin, l, err)
		}
		buckets[b] = n
	}
	return text, buckets
}

// checkBimodal checks that h, of the sleeps workload's blocks, counts
// them as the workload counted them itself (want), and that its two modes
// are the sleeps': the 100 ms bucket holds the longs sleeps (or what a
// loaded machine made later), the 1 ms one most of the shorts, and no
// block is shorter than its sleep.
func checkBimodal(t *testing.T, h *Histogram, want map[int]uint64, shorts, longs int) {
	t.Helper()
	for b := range max(len(h.Counts), longBucket+1) {
		var got uint64
		if b < len(h.Counts) {
			got = h.Counts[b]
		}
		if got != want[b] {
			lo, hi := BucketBounds(b)
			t.Errorf("%d -> %d µs: %d blocks, the workload counted %d", lo, hi, got, want[b])
		}
	}
	if got := h.N(); got != uint64(shorts+longs) {
		t.Errorf("%d blocks, want %d", got, shorts+longs)
	}
	var long uint64
	for b := longBucket; b < len(h.Counts); b++ {
		long += h.Counts[b]
	}
	if long != uint64(longs) || h.Counts[longBucket] == 0 {
		t.Errorf("%d blocks of 65536 µs or more, %d of them in 65536 -> 131071; want the %d 100 ms sleeps", long, h.Counts[longBucket], longs)
	}
	if got := h.Counts[shortBucket]; got <= uint64(shorts/2) {
		t.Errorf("%d blocks in 1024 -> 2047 µs, want most of the %d 1.1 ms sleeps", got, shorts)
	}
	for b := range min(shortBucket, len(h.Counts)) {
		if h.Counts[b] > 0 {
			lo, hi := BucketBounds(b)
			t.Errorf("%d blocks in %d -> %d µs, shorter than any sleep", h.Counts[b], lo, hi)
		}
	}
}

// histRow matches a histogram row and captures its bounds, count and bar.
var histRow = regexp.MustCompile(`(?m)^ +(\d+) -> (\d+) +: (\d+) +\|(\**) *\|$`)

// histRows returns the rows of histogram text by their low bound: count,
// stars and high bound.
func histRows(text string) map[uint64][3]int {
	rows := map[uint64][3]int{}
	for _, m := range histRow.FindAllStringSubmatch(text, -1) {
		lo, _ := strconv.ParseUint(m[1], 10, 64)
		hi, _ := strconv.Atoi(m[2])
		n, _ := strconv.Atoi(m[3])
		rows[lo] = [3]int{n, len(m[4]), hi}
	}
	return rows
}

func TestLatencyOfTimedSleeps(t *testing.T) {
	const rounds, shorts = 4, 20
	text, want := sleepsPerfScript(t, rounds, shorts)
	b, err := ReadOffCPU(bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	h := b.Histogram()
	checkBimodal(t, h, want, rounds*shorts, rounds)

	var out bytes.Buffer
	if _, err := h.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	checkHistText(t, out.String(), want)

	fhs := b.FuncHistograms()
	if len(fhs) != 2 || fhs[0].Func != "ppoll" || fhs[1].Func != "clock_nanosleep" {
		t.Fatalf("functions %+v, want ppoll's blocks then clock_nanosleep's", fhs)
	}
	if n := fhs[0].N(); n != rounds*shorts || len(fhs[0].Counts) > longBucket {
		t.Errorf("ppoll: %d blocks up to bucket %d, want %d 1.1 ms sleeps", n, len(fhs[0].Counts)-1, rounds*shorts)
	}
	if n := fhs[1].N(); n != rounds || len(fhs[1].Counts) <= longBucket || fhs[1].Counts[longBucket] == 0 {
		t.Errorf("clock_nanosleep: %d blocks, %v; want %d 100 ms sleeps", n, fhs[1].Counts, rounds)
	}

	m, err := b.LatencyMap(LatencyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkMapAgrees(t, b, m)
}

// checkMapAgrees checks a latency map against its blocks: every block in
// the cell of its end and bucket, rows from the lowest bucket to the
// highest, MaxValue the largest count.
func checkMapAgrees(t *testing.T, b *Blocks, m *LatencyMap) {
	t.Helper()
	want := make([][]int, m.Columns)
	for c := range want {
		want[c] = make([]int, len(m.Buckets))
	}
	lo := m.Buckets[0].Bucket
	if math.Abs(m.start.Seconds()-m.Start) > 1e-6 || math.Abs(m.step.Seconds()-m.Step) > 1e-9 || m.start%m.step != 0 {
		t.Errorf("start %v s, step %v s: not %v, %v", m.Start, m.Step, m.start, m.step)
	}
	for _, bl := range b.Blocks {
		c := int((bl.End - m.start) / m.step)
		r := LatencyBucket(bl.Duration) - lo
		if c < 0 || c >= m.Columns || r < 0 || r >= len(m.Buckets) {
			t.Fatalf("block %+v outside the map (column %d of %d, row %d of %d)", bl, c, m.Columns, r, len(m.Buckets))
		}
		want[c][r]++
	}
	peak := 0
	for c := range want {
		for r := range want[c] {
			if m.Values[c][r] != want[c][r] {
				t.Errorf("cell %d,%d: %d blocks, want %d", c, r, m.Values[c][r], want[c][r])
			}
			peak = max(peak, want[c][r])
		}
	}
	if m.MaxValue != peak {
		t.Errorf("MaxValue %d, want %d", m.MaxValue, peak)
	}
	for r, row := range m.Buckets {
		if lo, hi := BucketBounds(row.Bucket); row.Bucket != m.Buckets[0].Bucket+r || row.Low != lo || row.High != hi {
			t.Errorf("row %d: %+v", r, row)
		}
	}
}

// checkHistText checks histogram text: one row a bucket from 0 -> 1 up to
// the last one counted, each with its count in want, the peak's bar 40
// stars and the others count*40/peak.
func checkHistText(t *testing.T, text string, want map[int]uint64) {
	t.Helper()
	rows := histRows(text)
	var peak uint64
	last := 0
	for b, n := range want {
		peak = max(peak, n)
		last = max(last, b)
	}
	if len(rows) != last+1 {
		t.Errorf("%d rows, want %d:\n%s", len(rows), last+1, text)
	}
	for b := range last + 1 {
		lo, hi := BucketBounds(b)
		r, ok := rows[lo]
		if stars := int(want[b] * histStars / peak); !ok || r[0] != int(want[b]) || r[1] != stars || uint64(r[2]) != hi {
			t.Errorf("row %d -> %d: %v, want %d blocks, %d stars:\n%s", lo, hi, r, want[b], stars, text)
		}
	}
}

func TestLatencyBucket(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{
		{0, 0}, {999 * time.Nanosecond, 0}, {time.Microsecond, 0}, {2 * time.Microsecond, 1},
		{3999 * time.Nanosecond, 1}, {4 * time.Microsecond, 2}, {1023 * time.Microsecond, 9},
		{1024 * time.Microsecond, 10}, {1100 * time.Microsecond, 10}, {2047 * time.Microsecond, 10},
		{100 * time.Millisecond, 16}, {131071 * time.Microsecond, 16}, {131072 * time.Microsecond, 17},
		{-time.Second, 0},
	} {
		if got := LatencyBucket(c.d); got != c.want {
			t.Errorf("LatencyBucket(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}

func TestHistogramText(t *testing.T) {
	b := &Blocks{Blocks: []Block{
		{Duration: 500 * time.Nanosecond}, {Duration: 3 * time.Microsecond},
		{Duration: 3 * time.Microsecond}, {Duration: 1500 * time.Microsecond},
	}}
	var out bytes.Buffer
	if _, err := b.Histogram().WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	want := `     usecs               : count     distribution
         0 -> 1          : 1        |********************                    |
         2 -> 3          : 2        |****************************************|
         4 -> 7          : 0        |                                        |
         8 -> 15         : 0        |                                        |
        16 -> 31         : 0        |                                        |
        32 -> 63         : 0        |                                        |
        64 -> 127        : 0        |                                        |
       128 -> 255        : 0        |                                        |
       256 -> 511        : 0        |                                        |
       512 -> 1023       : 0        |                                        |
      1024 -> 2047       : 1        |********************                    |

avg = 376 usecs, total: 1506 usecs, count: 4
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestLatencyMapStep(t *testing.T) {
	b := &Blocks{Blocks: []Block{
		{End: 10*time.Second + 30*time.Millisecond, Duration: 2 * time.Millisecond},
		{End: 10*time.Second + 70*time.Millisecond, Duration: 100 * time.Millisecond},
		{End: 12*time.Second + 990*time.Millisecond, Duration: 2 * time.Millisecond},
	}}
	m, err := b.LatencyMap(LatencyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 2.96 s between the first and last ends: 50 ms would make 60
	// columns, 100 ms makes 30.
	if m.Step != 0.1 || m.Start != 10 || m.Columns != 30 {
		t.Errorf("step %v, start %v, %d columns; want 0.1, 10, 30", m.Step, m.Start, m.Columns)
	}
	checkMapAgrees(t, b, m)
	m, err = b.LatencyMap(LatencyOptions{Step: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if m.Columns != 3 || m.Values[0][0] != 1 || m.Values[0][len(m.Buckets)-1] != 1 || m.Values[2][0] != 1 {
		t.Errorf("1 s columns: %+v", m)
	}
	checkMapAgrees(t, b, m)
	for _, step := range []time.Duration{-time.Second, time.Microsecond} {
		if _, err := b.LatencyMap(LatencyOptions{Step: step}); !errors.Is(err, ErrStep) {
			t.Errorf("step %v: %v, want ErrStep", step, err)
		}
	}
}

// TestHistogramTextWide checks bcc's wide layout, for buckets past 2^32
// µs (71 minutes): 20-digit bounds and a bar of 20 stars.
func TestHistogramTextWide(t *testing.T) {
	b := &Blocks{Blocks: []Block{{Duration: 2 * time.Hour}, {Duration: 2 * time.Hour}, {Duration: 3 * time.Microsecond}}}
	var out bytes.Buffer
	if _, err := b.Histogram().WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	for _, want := range []string{
		"               usecs                         : count     distribution",
		"                   2 -> 3                    : 1        |**********          |",
		"          4294967296 -> 8589934591           : 2        |********************|",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %q in\n%s", want, out.String())
		}
	}
}
