package perfsampler

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/pmc"
	"github.com/flamekit/flamekit/profile/internal/sampler"
)

// TestSampleOptionsTakeTheEvent checks that the attribute the perf backend
// opens is the event's, as pmc builds it (type, config words, exclusions,
// precise_ip), with the config's sampling fields added.
func TestSampleOptionsTakeTheEvent(t *testing.T) {
	faults, err := pmc.ParseEvent("page-faults:u")
	if err != nil {
		t.Fatal(err)
	}
	pmu := pmc.Event{Name: "cpu/event=0xcd,umask=0x1,ldlat=30/pp", PMU: "cpu", Type: 4, Config: 0x1cd, Config1: 30, Config2: 7,
		Precise: 2, Sampleable: true}
	for _, ev := range []pmc.Event{faults, pmu} {
		want := ev.Attr()
		a := sampleOptions(sampler.Config{Event: ev, Period: 1000, PIDs: []uint32{1}}).Attr()
		if a.Type != want.Type || a.Config != want.Config || a.Ext1 != want.Ext1 || a.Ext2 != want.Ext2 || a.Bits&want.Bits != want.Bits {
			t.Errorf("%s: attr type %d, config %#x, config1 %d, config2 %d, bits %#x: want pmc's %d, %#x, %d, %d and bits %#x",
				ev.Name, a.Type, a.Config, a.Ext1, a.Ext2, a.Bits, want.Type, want.Config, want.Ext1, want.Ext2, want.Bits)
		}
		if a.Sample != 1000 || a.Bits&unix.PerfBitFreq != 0 || a.Bits&unix.PerfBitInherit == 0 || a.Sample_type&unix.PERF_SAMPLE_CALLCHAIN == 0 {
			t.Errorf("%s: sample %d, bits %#x, sample type %#x: want period 1000, inherited, with call chains", ev.Name, a.Sample, a.Bits, a.Sample_type)
		}
	}
}
