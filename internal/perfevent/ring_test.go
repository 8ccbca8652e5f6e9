package perfevent

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeRing is a Ring over ordinary memory holding the bytes between tail
// and head, as the kernel would have written them.
func fakeRing(data []byte, head, tail uint64) *Ring {
	meta := new(unix.PerfEventMmapPage)
	meta.Data_head, meta.Data_tail = head, tail
	return &Ring{meta: meta, data: data}
}

// putRecords writes recs into a ring of size bytes starting at position
// pos, wrapping around, and returns the ring and the head.
func putRecords(size int, pos uint64, recs ...[]byte) (*Ring, uint64) {
	data := make([]byte, size)
	head := pos
	for _, r := range recs {
		for _, b := range r {
			data[head%uint64(size)] = b
			head++
		}
	}
	return fakeRing(data, head, pos), head
}

// freqAttr is the attribute of an event sampled at a frequency, its
// samples of type st with their periods: the layout of the sample records
// these tests build and the seed corpus holds.
func freqAttr(st uint64) *unix.PerfEventAttr {
	return &unix.PerfEventAttr{Sample_type: st | unix.PERF_SAMPLE_PERIOD, Bits: unix.PerfBitFreq, Sample: 99}
}

func lostRecord(lost uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, RecordLost)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 24)
	b = binary.LittleEndian.AppendUint64(b, 7) // id
	return binary.LittleEndian.AppendUint64(b, lost)
}

func TestRingWrapAround(t *testing.T) {
	recs := [][]byte{lostRecord(1), lostRecord(2), lostRecord(3)}
	for _, start := range []uint64{0, 100, 120, 126, 1<<40 + 110} {
		r, head := putRecords(128, start, recs...)
		var got []uint64
		err := r.Read(func(rec []byte) {
			pr, err := ParseRecord(rec, freqAttr(SampleType))
			if err != nil {
				t.Fatalf("start %d: %v", start, err)
			}
			got = append(got, pr.Lost)
		})
		if err != nil || len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
			t.Errorf("start %d: lost %v, err %v; want [1 2 3]", start, got, err)
		}
		if r.meta.Data_tail != head {
			t.Errorf("start %d: tail %d, want head %d", start, r.meta.Data_tail, head)
		}
	}
}

func TestRingBadSize(t *testing.T) {
	bad := lostRecord(1)
	binary.LittleEndian.PutUint16(bad[6:], 4) // smaller than a header
	r, head := putRecords(128, 0, lostRecord(5), bad, lostRecord(6))
	var n int
	if err := r.Read(func([]byte) { n++ }); err == nil || n != 1 || r.meta.Data_tail != head {
		t.Errorf("read %d records, err %v, tail %d: want 1, an error, the rest skipped", n, err, r.meta.Data_tail)
	}
}

func TestSplitCallchain(t *testing.T) {
	chain := []uint64{contextKernel, 0xffffffff81000010, 0xffffffff81000020, contextUser, 0x401000, 0x401100,
		0xfffffffffffff800, 0x1234} // a guest context, dropped
	k, u := SplitCallchain(chain)
	if len(k) != 2 || k[0] != 0xffffffff81000010 || len(u) != 2 || u[1] != 0x401100 {
		t.Errorf("kernel %x, user %x", k, u)
	}
	if k, u := SplitCallchain([]uint64{0x1, 0x2}); k != nil || u != nil {
		t.Errorf("no markers: kernel %x, user %x; want none", k, u)
	}
}

func TestParseRecordMalformed(t *testing.T) {
	sample := binary.LittleEndian.AppendUint32(nil, RecordSample)
	sample = binary.LittleEndian.AppendUint16(sample, 0)
	sample = binary.LittleEndian.AppendUint16(sample, 8+8+8+8+8+8+8)
	sample = append(sample, make([]byte, 40)...)
	sample = binary.LittleEndian.AppendUint64(sample, 1<<40) // call chain length
	for name, rec := range map[string][]byte{
		"empty":      nil,
		"size":       lostRecord(1)[:20],
		"chain":      sample,
		"short lost": append(binary.LittleEndian.AppendUint64(nil, RecordLost|8<<48), 0),
	} {
		if _, err := ParseRecord(rec, freqAttr(SampleType)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzParseRecord decodes arbitrary records, of events with and without
// cgroup ids, user registers and user stacks; the seed corpus holds records
// captured on a real kernel (see TestCaptureRecords).
func FuzzParseRecord(f *testing.F) {
	f.Add(lostRecord(3), false, false)
	f.Add(userSample(64, 40), true, true)
	f.Add(switchRecord(unix.PERF_RECORD_MISC_SWITCH_OUT), false, false)
	f.Fuzz(func(t *testing.T, rec []byte, cgroup, user bool) {
		st := uint64(SampleType)
		if cgroup {
			st |= sampleCgroup
		}
		if user {
			st |= unix.PERF_SAMPLE_REGS_USER | unix.PERF_SAMPLE_STACK_USER
		}
		a := freqAttr(st)
		a.Bits |= unix.PerfBitSampleIDAll // decodes switch records
		r, err := ParseRecord(rec, a)
		if err != nil {
			return
		}
		if len(r.Callchain)*8+len(r.UserStack) > len(rec) {
			t.Fatalf("%d call chain entries and %d bytes of stack from %d bytes", len(r.Callchain), len(r.UserStack), len(rec))
		}
		k, u := SplitCallchain(r.Callchain)
		if len(k)+len(u) > len(r.Callchain) {
			t.Fatalf("split %d+%d of %d", len(k), len(u), len(r.Callchain))
		}
	})
}

// FuzzRingRead reads arbitrary ring contents at any position: the bytes
// are consumed by records up to less than a header, or skipped after a bad
// size.
func FuzzRingRead(f *testing.F) {
	f.Add(bytes.Repeat(lostRecord(1), 3), uint64(60))
	f.Fuzz(func(t *testing.T, data []byte, tail uint64) {
		size := 8
		for size < len(data) {
			size *= 2
		}
		r, head := putRecords(size, tail, data)
		var n uint64
		err := r.Read(func(rec []byte) { n += uint64(len(rec)) })
		end := r.meta.Data_tail
		if (err != nil && end != head) || (err == nil && (end-tail != n || head-end >= recordHeaderSize)) {
			t.Fatalf("read %d of %d bytes, tail %d → %d, head %d, err %v", n, len(data), tail, end, head, err)
		}
	})
}
