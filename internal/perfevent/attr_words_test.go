package perfevent

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestAttrEventWords checks that an event's config1, config2 and precise_ip
// (a PMU's format fields, perf's :p) reach the attribute.
func TestAttrEventWords(t *testing.T) {
	for precise, bits := range map[uint8]uint64{
		0: 0,
		1: unix.PerfBitPreciseIPBit1,
		2: unix.PerfBitPreciseIPBit2,
		3: unix.PerfBitPreciseIPBit1 | unix.PerfBitPreciseIPBit2,
	} {
		a := SampleOptions{Type: 4, Config: 0xcd01, Config1: 30, Config2: 7, Precise: precise, Period: 1000}.Attr()
		if a.Type != 4 || a.Config != 0xcd01 || a.Ext1 != 30 || a.Ext2 != 7 || a.Sample != 1000 {
			t.Errorf("attr %+v: want type 4, config 0xcd01, config1 30, config2 7, period 1000", a)
		}
		if got := a.Bits & (unix.PerfBitPreciseIPBit1 | unix.PerfBitPreciseIPBit2); got != bits {
			t.Errorf("precise %d: bits %#x, want %#x", precise, got, bits)
		}
	}
}
