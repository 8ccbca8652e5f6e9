package pmc

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Event is one event as perf_event_open takes it, with the name it was given.
type Event struct {
	Name                     string // as the user wrote it, modifiers included ("cycles:u")
	PMU                      string // "cpu", "software", "msr", ... ("" for the generic hardware/cache/software ids)
	Type                     uint32 // perf_event_attr.type
	Config, Config1, Config2 uint64

	ExcludeUser, ExcludeKernel, ExcludeHV, ExcludeIdle, ExcludeHost, ExcludeGuest bool

	Precise    uint8   // :p count
	MaxPrecise bool    // :P: the most precise level the PMU offers (tried from 3 down)
	Pinned     bool    // :D
	Exclusive  bool    // :e: alone on the PMU while it counts
	Weak       bool    // :W: its group is opened as separate events when it cannot be opened whole
	Scale      float64 // from the PMU's .scale file; 0 means 1
	Unit       string  // from .unit
	Sampleable bool    // false for PMUs without an overflow interrupt (msr)

	// Period and Freq are the sample period or frequency of the
	// period= and freq= terms ("cpu-clock/period=100000/"), 0 when not
	// given; they take precedence over the sampler's options for this
	// event. Counting ignores them.
	Period, Freq uint64

	// sampleRead is :S: a sample carries the counts of its group
	// (PERF_SAMPLE_READ).
	sampleRead bool
}

// Group is events opened and read together (one {...} of an event list); a
// lone event is a group of one.
type Group []Event

// ParseEvent parses one event as perf's -e names it, with its modifiers:
// "cycles:u", "L1-dcache-load-misses", "page-faults", "r003c",
// "cpu/event=0x3c,umask=0x0/k", "msr/tsc/". PMU events are looked up in
// /sys/bus/event_source/devices ([DefaultSysfs]).
func ParseEvent(s string) (Event, error) {
	return DefaultSysfs.ParseEvent(s)
}

// ParseEvents parses an event list as perf's -e takes it: events separated
// by commas, braces grouping events read together ("a,{b,c},d"), a group's
// modifiers after its closing brace ("{a,b}:u"), applied to each member
// after its own (whose Name stays as written inside the braces).
func ParseEvents(list string) ([]Group, error) {
	return DefaultSysfs.ParseEvents(list)
}

// Attr returns the perf_event_attr that counts the event: its type and
// configs, exclusions, precision, pinning and exclusivity (with
// MaxPrecise, precision 3: an opener lowers it until the PMU takes it),
// the one place that builds an event's part of an attribute. The caller
// adds what its use needs: read format, disabled, inherit for counting;
// for sampling, perfevent.SampleOptions takes it as its Event and adds the
// sample type, period or frequency, wakeup and clock.
func (e Event) Attr() unix.PerfEventAttr {
	a := unix.PerfEventAttr{
		Type:   e.Type,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Config: e.Config,
		Ext1:   e.Config1,
		Ext2:   e.Config2,
	}
	flags := []struct {
		set bool
		bit uint64
	}{
		{e.ExcludeUser, unix.PerfBitExcludeUser},
		{e.ExcludeKernel, unix.PerfBitExcludeKernel},
		{e.ExcludeHV, unix.PerfBitExcludeHv},
		{e.ExcludeIdle, unix.PerfBitExcludeIdle},
		{e.ExcludeHost, unix.PerfBitExcludeHost},
		{e.ExcludeGuest, unix.PerfBitExcludeGuest},
		{e.Pinned, unix.PerfBitPinned},
		{e.Exclusive, unix.PerfBitExclusive},
		{e.precise()&1 != 0, unix.PerfBitPreciseIPBit1},
		{e.precise()&2 != 0, unix.PerfBitPreciseIPBit2},
	}
	for _, f := range flags {
		if f.set {
			a.Bits |= f.bit
		}
	}
	if e.sampleRead {
		a.Sample_type |= unix.PERF_SAMPLE_READ
	}
	return a
}

// precise is the precision Attr asks for: Precise, or 3 with MaxPrecise.
func (e Event) precise() uint8 {
	if e.MaxPrecise {
		return 3
	}
	return e.Precise
}

// lessPrecise returns e asking for one level of precision less, and
// whether it had any to give up: how an opener finds the most precise
// level a PMU offers for :P.
func (e Event) lessPrecise() (Event, bool) {
	p := e.precise()
	if p == 0 {
		return e, false
	}
	e.MaxPrecise, e.Precise = false, p-1
	return e, true
}
