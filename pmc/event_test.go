package pmc

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestParseEventNamed checks perf's generic, cache, software and raw names
// and their aliases: the type and config perf itself would open.
func TestParseEventNamed(t *testing.T) {
	cache := func(c, op, res uint64) uint64 { return c | op<<8 | res<<16 }
	cases := []struct {
		name   string
		typ    uint32
		config uint64
	}{
		{"cycles", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES},
		{"cpu-cycles", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES},
		{"instructions", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_INSTRUCTIONS},
		{"branch-instructions", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
		{"branches", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
		{"branch-misses", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BRANCH_MISSES},
		{"cache-references", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_REFERENCES},
		{"cache-misses", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CACHE_MISSES},
		{"bus-cycles", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_BUS_CYCLES},
		{"stalled-cycles-frontend", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
		{"idle-cycles-backend", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
		{"ref-cycles", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_REF_CPU_CYCLES},
		{"CYCLES", unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_CPU_CYCLES},

		{"cpu-clock", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK},
		{"task-clock", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_TASK_CLOCK},
		{"page-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS},
		{"faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS},
		{"context-switches", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES},
		{"cs", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES},
		{"cpu-migrations", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_MIGRATIONS},
		{"migrations", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_MIGRATIONS},
		{"minor-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MIN},
		{"major-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS_MAJ},
		{"alignment-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_ALIGNMENT_FAULTS},
		{"emulation-faults", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_EMULATION_FAULTS},
		{"dummy", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_DUMMY},
		{"bpf-output", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_BPF_OUTPUT},
		{"cgroup-switches", unix.PERF_TYPE_SOFTWARE, 11},

		{"L1-dcache-loads", unix.PERF_TYPE_HW_CACHE, cache(0, 0, 0)},
		{"L1-dcache-load-misses", unix.PERF_TYPE_HW_CACHE, cache(0, 0, 1)},
		{"L1-dcache-stores", unix.PERF_TYPE_HW_CACHE, cache(0, 1, 0)},
		{"L1-dcache-store-misses", unix.PERF_TYPE_HW_CACHE, cache(0, 1, 1)},
		{"L1-dcache-prefetches", unix.PERF_TYPE_HW_CACHE, cache(0, 2, 0)},
		{"L1-dcache-prefetch-misses", unix.PERF_TYPE_HW_CACHE, cache(0, 2, 1)},
		{"L1-dcache-load-refs", unix.PERF_TYPE_HW_CACHE, cache(0, 0, 0)},
		{"L1-dcache-load-accesses", unix.PERF_TYPE_HW_CACHE, cache(0, 0, 0)},
		{"L1-dcache-misses", unix.PERF_TYPE_HW_CACHE, cache(0, 0, 1)},
		{"L1-dcache", unix.PERF_TYPE_HW_CACHE, cache(0, 0, 0)},
		{"l1d-miss-load", unix.PERF_TYPE_HW_CACHE, cache(0, 0, 1)},
		{"L1-icache-load-misses", unix.PERF_TYPE_HW_CACHE, cache(1, 0, 1)},
		{"L1-icache-prefetches", unix.PERF_TYPE_HW_CACHE, cache(1, 2, 0)},
		{"LLC-loads", unix.PERF_TYPE_HW_CACHE, cache(2, 0, 0)},
		{"LLC-load-misses", unix.PERF_TYPE_HW_CACHE, cache(2, 0, 1)},
		{"LLC-stores", unix.PERF_TYPE_HW_CACHE, cache(2, 1, 0)},
		{"LLC-store-misses", unix.PERF_TYPE_HW_CACHE, cache(2, 1, 1)},
		{"LLC-prefetch-misses", unix.PERF_TYPE_HW_CACHE, cache(2, 2, 1)},
		{"dTLB-loads", unix.PERF_TYPE_HW_CACHE, cache(3, 0, 0)},
		{"dTLB-load-misses", unix.PERF_TYPE_HW_CACHE, cache(3, 0, 1)},
		{"dTLB-store-misses", unix.PERF_TYPE_HW_CACHE, cache(3, 1, 1)},
		{"iTLB-loads", unix.PERF_TYPE_HW_CACHE, cache(4, 0, 0)},
		{"iTLB-load-misses", unix.PERF_TYPE_HW_CACHE, cache(4, 0, 1)},
		{"branch-loads", unix.PERF_TYPE_HW_CACHE, cache(5, 0, 0)},
		{"branch-load-misses", unix.PERF_TYPE_HW_CACHE, cache(5, 0, 1)},
		{"node-loads", unix.PERF_TYPE_HW_CACHE, cache(6, 0, 0)},
		{"node-load-misses", unix.PERF_TYPE_HW_CACHE, cache(6, 0, 1)},
		{"node-stores", unix.PERF_TYPE_HW_CACHE, cache(6, 1, 0)},
		{"node-prefetch-misses", unix.PERF_TYPE_HW_CACHE, cache(6, 2, 1)},

		{"r003c", unix.PERF_TYPE_RAW, 0x3c},
		{"r1a8", unix.PERF_TYPE_RAW, 0x1a8},
	}
	for _, c := range cases {
		e, err := ParseEvent(c.name)
		if err != nil {
			t.Errorf("ParseEvent(%q): %v", c.name, err)
			continue
		}
		if e.Type != c.typ || e.Config != c.config || e.Name != c.name || e.PMU != "" || !e.Sampleable {
			t.Errorf("ParseEvent(%q) = %+v, want type %d config %#x", c.name, e, c.typ, c.config)
		}
	}
}

// TestCacheEventNamesParse checks that every name perf lists for the cache
// events parses back to a distinct config.
func TestCacheEventNamesParse(t *testing.T) {
	names := cacheEventNames()
	if len(names) != 2*(3+2+3+3+1+1+3) {
		t.Fatalf("%d cache event names, want 32: %v", len(names), names)
	}
	seen := map[uint64]string{}
	for _, n := range names {
		e, err := ParseEvent(n)
		if err != nil {
			t.Fatalf("ParseEvent(%q): %v", n, err)
		}
		if prev, dup := seen[e.Config]; dup {
			t.Errorf("%s and %s share config %#x", prev, n, e.Config)
		}
		seen[e.Config] = n
	}
}

// TestParseEventModifiers checks perf's modifier rules and the attr they
// give.
func TestParseEventModifiers(t *testing.T) {
	cases := []struct {
		name                                     string
		user, kernel, hv, idle, guest, host, pin bool
		precise                                  uint8
		bits                                     uint64
	}{
		{name: "cycles"},
		{name: "cycles:u", kernel: true, hv: true, bits: unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv},
		{name: "cycles:k", user: true, hv: true, bits: unix.PerfBitExcludeUser | unix.PerfBitExcludeHv},
		{name: "cycles:h", user: true, kernel: true, bits: unix.PerfBitExcludeUser | unix.PerfBitExcludeKernel},
		{name: "cycles:uk", hv: true, bits: unix.PerfBitExcludeHv},
		{name: "cycles:ku", hv: true, bits: unix.PerfBitExcludeHv},
		{name: "cycles:G", host: true, bits: unix.PerfBitExcludeHost},
		{name: "cycles:H", guest: true, bits: unix.PerfBitExcludeGuest},
		{name: "cycles:GH"},
		{name: "cycles:I", idle: true, bits: unix.PerfBitExcludeIdle},
		{name: "cycles:p", precise: 1, bits: unix.PerfBitPreciseIPBit1},
		{name: "cycles:pp", precise: 2, bits: unix.PerfBitPreciseIPBit2},
		{name: "cycles:ppp", precise: 3, bits: unix.PerfBitPreciseIPBit1 | unix.PerfBitPreciseIPBit2},
		{name: "cycles:D", pin: true, bits: unix.PerfBitPinned},
		{name: "cycles:e", bits: unix.PerfBitExclusive},
		{name: "cycles:b"},
		{name: "cycles:W"},
		{name: "cycles:P", bits: unix.PerfBitPreciseIPBit1 | unix.PerfBitPreciseIPBit2},
		{name: "instructions:upp", kernel: true, hv: true, precise: 2, bits: unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv | unix.PerfBitPreciseIPBit2},
		{name: "page-faults:u", kernel: true, hv: true, bits: unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv},
	}
	for _, c := range cases {
		e, err := ParseEvent(c.name)
		if err != nil {
			t.Errorf("ParseEvent(%q): %v", c.name, err)
			continue
		}
		got := [...]bool{e.ExcludeUser, e.ExcludeKernel, e.ExcludeHV, e.ExcludeIdle, e.ExcludeGuest, e.ExcludeHost, e.Pinned}
		want := [...]bool{c.user, c.kernel, c.hv, c.idle, c.guest, c.host, c.pin}
		if got != want || e.Precise != c.precise || e.Name != c.name {
			t.Errorf("ParseEvent(%q) = %+v", c.name, e)
		}
		if a := e.Attr(); a.Bits != c.bits || a.Type != e.Type || a.Config != e.Config || a.Size != unix.PERF_ATTR_SIZE_VER8 && a.Size < 64 {
			t.Errorf("%q: Attr bits %#x, want %#x", c.name, a.Bits, c.bits)
		}
	}
	if e, _ := ParseEvent("cycles:W"); !e.Weak {
		t.Errorf("cycles:W is not weak: %+v", e)
	}
	e, err := ParseEvent("cycles:P")
	if err != nil || !e.MaxPrecise {
		t.Fatalf("cycles:P: %+v, %v", e, err)
	}
	for want := uint8(2); ; want-- { // how an opener lowers :P's precision
		less, ok := e.lessPrecise()
		if !ok || less.Precise != want || less.MaxPrecise {
			t.Fatalf("lowering precision %d: %+v, %v", want+1, less, ok)
		}
		if e = less; want == 0 {
			break
		}
	}
	if _, ok := e.lessPrecise(); ok {
		t.Error("precision lowered below 0")
	}
	e, err = ParseEvent("cycles:S")
	if err != nil || e.Attr().Sample_type&unix.PERF_SAMPLE_READ == 0 {
		t.Errorf("cycles:S: %v, attr %+v: want PERF_SAMPLE_READ", err, e.Attr())
	}
}

// TestParseEventsLists checks lists, groups and group modifiers.
func TestParseEventsLists(t *testing.T) {
	gs, err := ParseEvents("cycles, {instructions,branch-misses}:u,page-faults,{cs:k,task-clock}")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gs {
		var names []string
		for _, e := range g {
			names = append(names, e.Name)
		}
		got = append(got, strings.Join(names, "+"))
	}
	if want := "cycles|instructions+branch-misses|page-faults|cs:k+task-clock"; strings.Join(got, "|") != want {
		t.Fatalf("groups %q, want %q", strings.Join(got, "|"), want)
	}
	if e := gs[1][1]; !e.ExcludeKernel || e.ExcludeUser {
		t.Errorf("group modifier :u not applied to %+v", e)
	}
	if e := gs[3][0]; !e.ExcludeUser || e.ExcludeKernel {
		t.Errorf("cs:k is %+v", e)
	}
	// A group's :k added to a member's :u counts both, as perf does.
	gs, err = ParseEvents("{cycles:u}:k")
	if err != nil {
		t.Fatal(err)
	}
	if e := gs[0][0]; e.ExcludeUser || e.ExcludeKernel || !e.ExcludeHV {
		t.Errorf("{cycles:u}:k = %+v, want user and kernel", e)
	}
}

// TestParseEventSettings checks the terms name=, period= and freq=, of PMU
// events and of named ones, as perf takes them: the name replaces the
// event's in output, the period or frequency rides with the event for
// sampling, and the event's own configuration is unchanged.
func TestParseEventSettings(t *testing.T) {
	cases := []struct {
		in, name     string
		typ          uint32
		config       uint64
		period, freq uint64
		user         bool
	}{
		{"cpu-clock/name=foo,period=1000/", "foo", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CPU_CLOCK, 1000, 0, false},
		{"software/config=2,name=bar/", "bar", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS, 0, 0, false},
		{"page-faults/freq=99/u", "page-faults/freq=99/u", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_PAGE_FAULTS, 0, 99, true},
		{"cs//", "cs//", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES, 0, 0, false},
		{"software/config=3, period=0x10 /k", "software/config=3, period=0x10 /k", unix.PERF_TYPE_SOFTWARE, unix.PERF_COUNT_SW_CONTEXT_SWITCHES, 16, 0, false},
	}
	for _, c := range cases {
		gs, err := ParseEvents(c.in)
		if err != nil {
			t.Errorf("ParseEvents(%q): %v", c.in, err)
			continue
		}
		e := gs[0][0]
		if e.Name != c.name || e.Type != c.typ || e.Config != c.config || e.Period != c.period || e.Freq != c.freq || e.ExcludeKernel != c.user {
			t.Errorf("ParseEvents(%q) = %+v", c.in, e)
		}
	}
}

// TestParseEventErrors checks that bad input gets one clear error with the
// package prefix once, wrapping the sentinel a caller branches on.
func TestParseEventErrors(t *testing.T) {
	cases := []struct {
		list     string
		sentinel error
		says     string
	}{
		{"L1-dcache-lod-misses", ErrUnknownEvent, "L1-dcache-load-misses"},
		{"cycels", ErrUnknownEvent, "cycles"},
		{"page-fault", ErrUnknownEvent, "page-faults"},
		{"L1-icache-stores", ErrUnknownEvent, "no store operation"},
		{"no-such-pmu/event=1/", ErrUnknownPMU, "no-such-pmu"},
		{"cycles:x", ErrSyntax, "unknown modifier 'x' (known: ukhGHIpPSDeWb)"},
		{"cpu-clock/config=1/", ErrBadTerm, "takes only the terms name, period and freq"},
		{"cpu-clock/period=1000,freq=99/", ErrBadTerm, "period and freq together"},
		{"cpu-clock/period=0/", ErrBadTerm, "not a positive number"},
		{"cpu-clock/freq=x/", ErrBadTerm, "not a positive number"},
		{"software/config=2,name=/", ErrBadTerm, "an empty name"},
		{"no-such-event/period=10/", ErrUnknownPMU, "no-such-event"},
		{"sched:sched_switch", ErrUnknownEvent, `"sched:sched_switch": tracepoints (subsystem:event) are not supported`},
		{"cycles:pppp", ErrSyntax, "at most three p"},
		{"", ErrSyntax, "empty event list"},
		{"cycles,", ErrSyntax, "empty event"},
		{"{cycles,instructions", ErrSyntax, "no '}'"},
		{"{cycles,{instructions}}", ErrSyntax, "'{' inside"},
		{"software/config=2", ErrSyntax, "unmatched '/'"},
		{"cycles}", ErrSyntax, "unexpected"},
		{"{cycles}:q", ErrSyntax, "unknown modifier"},
	}
	for _, c := range cases {
		_, err := ParseEvents(c.list)
		if err == nil {
			t.Errorf("ParseEvents(%q) succeeded", c.list)
			continue
		}
		msg := err.Error()
		if !errors.Is(err, c.sentinel) || !strings.Contains(msg, c.says) || strings.Count(msg, "pmc:") != 1 || !strings.HasPrefix(msg, "pmc: ") {
			t.Errorf("ParseEvents(%q) = %v; want %v saying %q, prefixed once", c.list, err, c.sentinel, c.says)
		}
	}
	if _, err := ParseEvent("cycles,instructions"); !errors.Is(err, ErrSyntax) {
		t.Errorf("ParseEvent of a list: %v", err)
	}
}
