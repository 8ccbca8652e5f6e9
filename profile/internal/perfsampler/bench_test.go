package perfsampler

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"testing"
	"time"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/internal/testenv"
	"github.com/flamekit/flamekit/profile/internal/sampler"
	"github.com/flamekit/flamekit/profile/internal/samplertest"
	"golang.org/x/sys/unix"
)

// sampleRecord builds a PERF_RECORD_SAMPLE with a user stack of depth
// frames, in the layout of an event sampled at a frequency.
func sampleRecord(pid uint32, depth int) []byte {
	size := 8 + 8 + 8 + 8 + 8 + 8 + 8 + 8*(depth+1)
	b := binary.LittleEndian.AppendUint32(nil, perfevent.RecordSample)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(size))
	b = binary.LittleEndian.AppendUint64(b, 0x401000)           // ip
	b = binary.LittleEndian.AppendUint32(b, pid)                // pid
	b = binary.LittleEndian.AppendUint32(b, pid)                // tid
	b = binary.LittleEndian.AppendUint64(b, 1)                  // time
	b = binary.LittleEndian.AppendUint64(b, 0)                  // cpu, reserved
	b = binary.LittleEndian.AppendUint64(b, 10_000_000)         // period
	b = binary.LittleEndian.AppendUint64(b, uint64(depth+1))    // nr
	b = binary.LittleEndian.AppendUint64(b, 0xfffffffffffffe00) // PERF_CONTEXT_USER
	for i := range depth {
		b = binary.LittleEndian.AppendUint64(b, 0x401000+uint64(i)*0x40)
	}
	return b
}

// BenchmarkPerfRecord measures decoding and aggregating one sample with a
// 32-frame user stack, the reader's work per sample.
func BenchmarkPerfRecord(b *testing.B) {
	rec := sampleRecord(4242, 32)
	s := &Sampler{agg: newAggregator(sampler.Config{}), forked: map[uint32]bool{}}
	s.attr = sampleOptions(sampler.Config{Frequency: 99}).Attr()
	s.agg.comms[4242] = "bench"
	for b.Loop() {
		s.handle(rec)
	}
	if n := s.agg.stacks[string(s.agg.key)].Count; n != uint64(b.N) {
		b.Fatalf("aggregated %d of %d", n, b.N)
	}
}

// BenchmarkPerfRecordUnwind measures decoding, walking and aggregating one
// sample with user registers and a stack copy, the reader's work per sample
// with Config.Unwind: on records of a real -O2 -fomit-frame-pointer program
// (main -> work70/work30 -> spin).
func BenchmarkPerfRecordUnwind(b *testing.B) {
	testenv.RequireSelfProfiling(b)
	bin := testenv.BuildC(b, "gcc", "unwind_work", []string{"testdata/unwind_work.c"}, "-O2", "-fomit-frame-pointer")
	c := testenv.StartChild(b, exec.Command(bin, "split"))
	c.WaitLine(b, "ready")
	pid := uint32(c.Process.Pid)
	cfg := samplertest.CPUClock(999)
	cfg.Unwind = registryOf(b, pid)
	recs, attr := captureRecords(b, cfg, pid, 100)
	s := &Sampler{agg: newAggregator(cfg), forked: map[uint32]bool{}, attr: attr}
	var frames uint64
	for i := 0; b.Loop(); i++ {
		s.handle(recs[i%len(recs)])
	}
	for _, rs := range s.agg.stacks {
		frames += uint64(len(rs.User)) * rs.Count
	}
	b.ReportMetric(float64(frames)/float64(b.N), "frames/sample")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sample")
}

// captureRecords samples process pid with the event cfg asks for until it
// has n sample records, and returns copies of them and the event's
// attribute.
func captureRecords(b *testing.B, cfg sampler.Config, pid uint32, n int) ([][]byte, unix.PerfEventAttr) {
	a := sampleOptions(cfg).Attr()
	ev, err := perfevent.Open(&a, int(pid), -1)
	if err != nil {
		b.Fatal(err)
	}
	defer ev.Close()
	ring, err := ev.Mmap(ringPages(cfg))
	if err != nil {
		b.Fatal(err)
	}
	defer ring.Close()
	if err := ev.Enable(); err != nil {
		b.Fatal(err)
	}
	var recs [][]byte
	for deadline := time.Now().Add(10 * time.Second); len(recs) < n && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		err := ring.Read(func(rec []byte) {
			if r, err := perfevent.ParseRecord(rec, &a); err == nil && r.Type == perfevent.RecordSample {
				recs = append(recs, bytes.Clone(rec))
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(recs) == 0 {
		b.Fatal("no samples")
	}
	return recs, a
}
