package perfevent

import (
	"encoding/binary"
	"os/exec"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// touchedPages is how many fresh pages testdata/pagetouch.c writes to.
const touchedPages = 32768

// TestSamplePeriodOfSoftwareEvent samples a child that writes to
// touchedPages fresh pages on page-faults, every period faults: one sample
// a period, each carrying the period. (A software event whose samples
// record their period, without a frequency, is sampled on every event by
// the kernel, whatever the period: SampleOptions.Attr asks for the period
// field only at a frequency.)
func TestSamplePeriodOfSoftwareEvent(t *testing.T) {
	testenv.RequireRoot(t)
	bin := testenv.BuildC(t, "gcc", "pagetouch", []string{"testdata/pagetouch.c"}, "-O1")
	for _, period := range []uint64{16, 64, 256} {
		child := testenv.StartChild(t, exec.Command(bin, strconv.Itoa(touchedPages)))
		child.WaitLine(t, "ready")
		a := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_PAGE_FAULTS}, Period: period}.Attr()
		ev, err := Open(&a, child.Process.Pid, -1)
		if err != nil {
			t.Fatal(err)
		}
		ring, err := ev.Mmap(256) // 1 MiB: 2048 samples of deep kernel stacks
		if err != nil {
			ev.Close()
			t.Fatal(err)
		}
		if err := ev.Enable(); err != nil {
			t.Fatal(err)
		}
		child.Finish(t)
		var samples, lost, wrongPeriod uint64
		err = ring.Read(func(rec []byte) {
			r, err := ParseRecord(rec, &a)
			switch {
			case err != nil:
				t.Errorf("record: %v", err)
			case r.Type == RecordSample:
				samples++
				if r.Period != period {
					wrongPeriod++
				}
			case r.Type == RecordLost || r.Type == RecordLostSamples:
				lost += r.Lost
			}
		})
		ring.Close()
		ev.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := touchedPages / period
		t.Logf("period %d: %d samples (%d lost, %d with another period), want %d", period, samples, lost, wrongPeriod, want)
		if samples < want || samples > want*103/100 || lost > 0 || wrongPeriod > 0 {
			t.Errorf("period %d: %d samples, %d lost, %d with another period: want %d (%d faults / %d), each of period %d, none lost",
				period, samples, lost, wrongPeriod, want, touchedPages, period, period)
		}
	}
}

// TestParseRecordFixedPeriod decodes a sample of an event sampled by
// period, which has no period field: it carries the attribute's period.
func TestParseRecordFixedPeriod(t *testing.T) {
	a := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_PAGE_FAULTS}, Period: 64}.Attr()
	if a.Sample_type&unix.PERF_SAMPLE_PERIOD != 0 || a.Bits&unix.PerfBitFreq != 0 {
		t.Fatalf("sampling by period: sample type %#x, bits %#x: want no period field, no frequency", a.Sample_type, a.Bits)
	}
	rec := binary.LittleEndian.AppendUint32(nil, RecordSample)
	rec = binary.LittleEndian.AppendUint16(rec, 0)
	rec = binary.LittleEndian.AppendUint16(rec, 8+5*8)
	for _, v := range []uint64{0x401000, 7<<32 | 7, 1, 0, 0} { // ip, pid+tid, time, cpu+reserved, empty call chain
		rec = binary.LittleEndian.AppendUint64(rec, v)
	}
	r, err := ParseRecord(rec, &a)
	if err != nil || r.IP != 0x401000 || r.PID != 7 || r.Period != 64 {
		t.Errorf("record %+v, %v: want ip 0x401000, pid 7, period 64", r, err)
	}
	f := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_PAGE_FAULTS}, Frequency: 99}.Attr()
	if f.Sample_type&unix.PERF_SAMPLE_PERIOD == 0 {
		t.Errorf("sampling at a frequency: sample type %#x: want the period field", f.Sample_type)
	}
}
