package perfevent

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestAttrKeepsTheEvent checks that the event's part of the attribute
// (type, config words, exclusions, precise_ip: perf's :u, :k and :p, a
// PMU's format fields) reaches the sampling attribute whole, and that Attr
// sets every sampling field itself, over what the event's attribute held.
func TestAttrKeepsTheEvent(t *testing.T) {
	for precise, bits := range map[uint8]uint64{
		0: 0,
		1: unix.PerfBitPreciseIPBit1,
		2: unix.PerfBitPreciseIPBit2,
		3: unix.PerfBitPreciseIPBit1 | unix.PerfBitPreciseIPBit2,
	} {
		ev := unix.PerfEventAttr{Type: 4, Config: 0xcd01, Ext1: 30, Ext2: 7, Bits: bits | unix.PerfBitExcludeKernel}
		a := SampleOptions{Event: ev, Period: 1000}.Attr()
		if a.Type != 4 || a.Config != 0xcd01 || a.Ext1 != 30 || a.Ext2 != 7 || a.Sample != 1000 {
			t.Errorf("attr %+v: want type 4, config 0xcd01, config1 30, config2 7, period 1000", a)
		}
		if got := a.Bits & (unix.PerfBitPreciseIPBit1 | unix.PerfBitPreciseIPBit2); got != bits {
			t.Errorf("precise %d: bits %#x, want %#x", precise, got, bits)
		}
		if a.Bits&unix.PerfBitExcludeKernel == 0 || a.Bits&unix.PerfBitExcludeCallchainKernel == 0 {
			t.Errorf("precise %d: bits %#x: want the event's exclude_kernel, and no kernel call chains", precise, a.Bits)
		}
	}
	stale := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_PAGE_FAULTS,
		Sample_type: unix.PERF_SAMPLE_READ, Read_format: unix.PERF_FORMAT_GROUP, Sample: 7,
		Bits: unix.PerfBitFreq | unix.PerfBitInherit | unix.PerfBitEnableOnExec}
	a := SampleOptions{Event: stale, Period: 64}.Attr()
	if a.Sample_type != SampleType || a.Read_format != 0 || a.Sample != 64 ||
		a.Bits&(unix.PerfBitFreq|unix.PerfBitInherit|unix.PerfBitEnableOnExec) != 0 {
		t.Errorf("attr %+v over an event with sampling fields set: want SampleType, no read format, period 64, none of those bits", a)
	}
}
