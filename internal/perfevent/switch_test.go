package perfevent

import (
	"encoding/binary"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/testenv"
)

// TestSwitchRecords samples the context switches of a thread of the test
// that sleeps, with switch records, and checks the records decode: each
// sleep is a sample (its id the event's), then a switch out that is no
// preemption, then a switch in, with the thread, increasing times and the
// CPU.
func TestSwitchRecords(t *testing.T) {
	testenv.RequireRoot(t) // context switches happen in the kernel: paranoid ≤ 1 or CAP_PERFMON
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	var cpus unix.CPUSet
	if err := unix.SchedGetaffinity(0, &cpus); err != nil {
		t.Fatal(err)
	}
	cpu := 0
	for !cpus.IsSet(cpu) {
		cpu++
	}
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &cpus)
	o := SampleOptions{Event: unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CONTEXT_SWITCHES},
		Period: 1, Identifier: true, SwitchRecords: true, NoUserStack: true}
	a := o.Attr()
	ev, err := Open(&a, tid, cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	id, err := ev.ID()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := ev.Mmap(8)
	if err != nil {
		t.Fatal(err)
	}
	defer ring.Close()
	if err := ev.Enable(); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		time.Sleep(2 * time.Millisecond)
	}
	ev.Disable()
	var recs []Record
	if err := ring.Read(func(rec []byte) {
		r, err := ParseRecord(rec, &a)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}); err != nil {
		t.Fatal(err)
	}
	var blocks int
	var last uint64
	for i, r := range recs {
		if r.TID != uint32(tid) || r.CPU != uint32(cpu) || r.ID != id || r.Time < last {
			t.Fatalf("record %d %+v: want thread %d, CPU %d, id %d, time ≥ %d", i, r, tid, cpu, id, last)
		}
		last = r.Time
		if r.Type == RecordSample && i+2 < len(recs) && recs[i+1].Type == RecordSwitch && recs[i+1].SwitchOut &&
			!recs[i+1].Preempt && recs[i+2].Type == RecordSwitch && !recs[i+2].SwitchOut {
			blocks++
			if d := time.Duration(recs[i+2].Time - recs[i+1].Time); d < time.Millisecond {
				t.Errorf("a 2 ms sleep took %v off CPU", d)
			}
		}
	}
	if blocks < 4 {
		t.Errorf("%d sample, switch out, switch in sequences in %d records: want one per sleep", blocks, len(recs))
	}
}

// switchRecord is a SWITCH record of the thread 7 of process 5 at time 9 on
// CPU 2, with sample_id_all over SampleType | PERIOD | IDENTIFIER.
func switchRecord(misc uint16) []byte {
	b := binary.LittleEndian.AppendUint32(nil, RecordSwitch)
	b = binary.LittleEndian.AppendUint16(b, misc)
	b = binary.LittleEndian.AppendUint16(b, 40)
	b = binary.LittleEndian.AppendUint32(b, 5)
	b = binary.LittleEndian.AppendUint32(b, 7)
	b = binary.LittleEndian.AppendUint64(b, 9)
	b = binary.LittleEndian.AppendUint64(b, 2) // cpu, reserved
	return binary.LittleEndian.AppendUint64(b, 11)
}

func TestParseSwitchRecord(t *testing.T) {
	a := freqAttr(SampleType | unix.PERF_SAMPLE_IDENTIFIER)
	a.Bits |= unix.PerfBitSampleIDAll
	r, err := ParseRecord(switchRecord(unix.PERF_RECORD_MISC_SWITCH_OUT|unix.PERF_RECORD_MISC_SWITCH_OUT_PREEMPT), a)
	if err != nil || r.PID != 5 || r.TID != 7 || r.Time != 9 || r.CPU != 2 || r.ID != 11 || !r.SwitchOut || !r.Preempt {
		t.Fatalf("%+v, %v", r, err)
	}
	a.Bits &^= unix.PerfBitSampleIDAll
	if _, err := ParseRecord(switchRecord(0), a); err == nil {
		t.Error("a switch record without sample_id_all decoded")
	}
}
