package perfsampler

import (
	"encoding/binary"
	"testing"

	"github.com/flamekit/flamekit/internal/perfevent"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// sampleRecord builds a PERF_RECORD_SAMPLE with a user stack of depth
// frames, in the layout of perfevent.SampleType.
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
	s.attr.Sample_type = perfevent.SampleType
	s.agg.comms[4242] = "bench"
	for b.Loop() {
		s.handle(rec)
	}
	if n := s.agg.stacks[string(s.agg.key)].Count; n != uint64(b.N) {
		b.Fatalf("aggregated %d of %d", n, b.N)
	}
}
