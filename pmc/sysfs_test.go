package pmc

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flamekit/flamekit/internal/testenv"
	"golang.org/x/sys/unix"
)

// recorded returns the recorded sysfs tree of a vendor's machine.
func recorded(vendor string) Sysfs {
	return Sysfs{Root: filepath.Join("testdata", "sysfs", vendor)}
}

// requireRealSysfs skips (or, under CI, fails) when this machine's sysfs
// lacks the PMUs every Linux with perf events has.
func requireRealSysfs(t *testing.T) {
	t.Helper()
	testenv.RequireFile(t, filepath.Join(DefaultSysfs.Root, "software", "type"), "a kernel with perf events (CONFIG_PERF_EVENTS) and sysfs mounted")
}

// TestSysfsReal reads this machine's PMUs: software, tracepoint and
// breakpoint have the kernel's fixed types; uprobe has its formats; msr its
// tsc event and cannot be sampled.
func TestSysfsReal(t *testing.T) {
	requireRealSysfs(t)
	pmus, err := DefaultSysfs.PMUs()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]PMU{}
	for _, p := range pmus {
		byName[p.Name] = p
	}
	for name, typ := range map[string]uint32{"software": unix.PERF_TYPE_SOFTWARE, "tracepoint": unix.PERF_TYPE_TRACEPOINT, "breakpoint": unix.PERF_TYPE_BREAKPOINT} {
		if p, ok := byName[name]; !ok || p.Type != typ || !p.Sampleable() {
			t.Errorf("PMU %s = %+v, want type %d, sampleable", name, p, typ)
		}
	}
	if p, ok := byName["uprobe"]; ok {
		if f := p.Formats["retprobe"]; f.Field != "config" || !slices.Equal(f.Ranges, []BitRange{{0, 0}}) {
			t.Errorf("uprobe retprobe format = %+v", f)
		}
	}
	if p, ok := byName["msr"]; ok {
		if _, ok := p.Events["tsc"]; !ok || p.Sampleable() {
			t.Errorf("msr PMU = %+v: want a tsc event, not sampleable", p)
		}
	}
}

// TestParseEventRealPMUs parses PMU events against this machine's sysfs.
func TestParseEventRealPMUs(t *testing.T) {
	requireRealSysfs(t)
	e, err := ParseEvent("software/config=2/")
	if err != nil {
		t.Fatal(err)
	}
	if e.PMU != "software" || e.Type != unix.PERF_TYPE_SOFTWARE || e.Config != unix.PERF_COUNT_SW_PAGE_FAULTS || !e.Sampleable {
		t.Errorf("software/config=2/ = %+v, want the page-faults software event", e)
	}
	e, err = ParseEvent("software/config=0x3/u")
	if err != nil || e.Config != unix.PERF_COUNT_SW_CONTEXT_SWITCHES || !e.ExcludeKernel || e.ExcludeUser {
		t.Errorf("software/config=0x3/u = %+v, %v", e, err)
	}
	testenv.RequireFile(t, filepath.Join(DefaultSysfs.Root, "uprobe", "format", "ref_ctr_offset"), "uprobe PMU (CONFIG_UPROBE_EVENTS)")
	e, err = ParseEvent("uprobe/retprobe,ref_ctr_offset=0x10/")
	if err != nil || e.Config != 1|0x10<<32 {
		t.Errorf("uprobe/retprobe,ref_ctr_offset=0x10/ = %+v, %v", e, err)
	}
	testenv.RequireFile(t, filepath.Join(DefaultSysfs.Root, "msr", "events", "tsc"), "the msr PMU (CONFIG_PERF_EVENTS_MSR)")
	for _, name := range []string{"msr/tsc/", "tsc"} {
		e, err := ParseEvent(name)
		if err != nil || e.PMU != "msr" || e.Config != 0 || e.Sampleable {
			t.Errorf("%s = %+v, %v: want msr's tsc, not sampleable", name, e, err)
		}
	}
}

// TestParseEventIntel parses PMU events against the recorded Intel tree:
// format fields land at their bits, aliases expand with their scale and
// unit, later terms override an alias's.
func TestParseEventIntel(t *testing.T) {
	s := recorded("intel")
	cases := []struct {
		name                      string
		pmu                       string
		typ                       uint32
		config, config1           uint64
		scale                     float64
		unit                      string
		sampleable, excludeKernel bool
	}{
		{name: "cpu/event=0x3c,umask=0x0/", pmu: "cpu", typ: 4, config: 0x3c, sampleable: true},
		{name: "cpu/event=0x2e,umask=0x41,edge,inv,cmask=2/", pmu: "cpu", typ: 4, config: 0x2e | 0x41<<8 | 1<<18 | 1<<23 | 2<<24, sampleable: true},
		{name: "cpu/event=0x3c,any=1/", pmu: "cpu", typ: 4, config: 0x3c | 1<<21, sampleable: true},
		{name: "cpu/cpu-cycles/u", pmu: "cpu", typ: 4, config: 0x3c, sampleable: true, excludeKernel: true},
		{name: "cpu/cpu-cycles/:u", pmu: "cpu", typ: 4, config: 0x3c, sampleable: true, excludeKernel: true},
		{name: "cpu/mem-loads/", pmu: "cpu", typ: 4, config: 0xcd | 1<<8, config1: 3, sampleable: true},
		{name: "cpu/mem-loads,ldlat=30/", pmu: "cpu", typ: 4, config: 0xcd | 1<<8, config1: 30, sampleable: true},
		{name: "mem-loads", pmu: "cpu", typ: 4, config: 0xcd | 1<<8, config1: 3, sampleable: true},
		{name: "cpu/cycles-t/", pmu: "cpu", typ: 4, config: 0x3c | 1<<32, sampleable: true},
		{name: "cpu/topdown-total-slots/", pmu: "cpu", typ: 4, config: 0x3c, scale: 2, sampleable: true},
		{name: "cpu/offcore_rsp=0xffffffffffffffff,event=0xb7,umask=1/", pmu: "cpu", typ: 4, config: 0xb7 | 1<<8, config1: ^uint64(0), sampleable: true},
		{name: "cpu/config=0x1234,config1=5/", pmu: "cpu", typ: 4, config: 0x1234, config1: 5, sampleable: true},
		{name: "msr/tsc/", pmu: "msr", typ: 8},
		{name: "msr/aperf/", pmu: "msr", typ: 8, config: 1},
		{name: "msr/mperf/", pmu: "msr", typ: 8, config: 2},
		{name: "msr/cpu_thermal_margin/", pmu: "msr", typ: 8, config: 6, unit: "C"},
		{name: "power/energy-pkg/", pmu: "power", typ: 9, config: 2, scale: 2.3283064365386962890625e-10, unit: "Joules"},
		{name: "cstate_core/c6-residency/", pmu: "cstate_core", typ: 10, config: 2},
		{name: "cas_count_read", pmu: "uncore_imc_0", typ: 11, config: 0x304, scale: 6.103515625e-5, unit: "MiB"},
	}
	for _, c := range cases {
		e, err := s.ParseEvent(c.name)
		if err != nil {
			t.Errorf("ParseEvent(%q): %v", c.name, err)
			continue
		}
		if e.PMU != c.pmu || e.Type != c.typ || e.Config != c.config || e.Config1 != c.config1 || e.Scale != c.scale || e.Unit != c.unit || e.Sampleable != c.sampleable || e.ExcludeKernel != c.excludeKernel || e.Name != c.name {
			t.Errorf("ParseEvent(%q) = %+v", c.name, e)
		}
		if a := e.Attr(); a.Type != c.typ || a.Config != c.config || a.Ext1 != c.config1 {
			t.Errorf("%q: Attr type %d config %#x config1 %#x", c.name, a.Type, a.Config, a.Ext1)
		}
	}
	gs, err := s.ParseEvents("{cpu/event=0x3c/,cpu/event=0xc0/},msr/tsc/,cycles")
	if err != nil || len(gs) != 3 || len(gs[0]) != 2 || gs[0][1].Config != 0xc0 || gs[1][0].Sampleable {
		t.Errorf("ParseEvents of PMU events = %+v, %v", gs, err)
	}
}

// TestParseEventAMD checks the AMD layout: event ids above 0xff put their
// high nibble at bits 32-35.
func TestParseEventAMD(t *testing.T) {
	s := recorded("amd")
	cases := []struct {
		name   string
		config uint64
	}{
		{"cpu/event=0xc0/", 0xc0},
		{"cpu/event=0x1c0/", 0x1_0000_00c0},
		{"cpu/event=0xfff,umask=0x3/", 0xf_0000_03ff},
		{"cpu/cpu-cycles/", 0x76},
		{"cpu/cache-references/", 0xff60},
		{"amd_df/event=0x3fff/", 0xff | 0xf<<32 | 3<<59},
		{"msr/irperf/", 5},
	}
	for _, c := range cases {
		e, err := s.ParseEvent(c.name)
		if err != nil || e.Config != c.config {
			t.Errorf("ParseEvent(%q) = config %#x, %v; want %#x", c.name, e.Config, err, c.config)
		}
	}
	_, err := s.ParseEvent("cpu/event=0x1000/")
	if !errors.Is(err, ErrBadTerm) || !strings.Contains(err.Error(), "wider than the field's 12 bits") {
		t.Errorf("event=0x1000 on AMD: %v, want too wide for 12 bits", err)
	}
}

// TestParseEventPMUErrors checks the errors of PMU events: unknown PMU,
// term and alias, a value too wide, a bad number; each said once.
func TestParseEventPMUErrors(t *testing.T) {
	s := recorded("intel")
	cases := []struct {
		name     string
		sentinel error
		says     []string
	}{
		{"gpu/event=1/", ErrUnknownPMU, []string{`"gpu"`, "cpu, cstate_core"}},
		{"cpu/event=0x100/", ErrBadTerm, []string{"event=0x100", "wider than the field's 8 bits"}},
		{"cpu/cmask=256/", ErrBadTerm, []string{"cmask"}},
		{"cpu/ldlat=0x10000/", ErrBadTerm, []string{"16 bits"}},
		{"cpu/evnt=0x3c/", ErrBadTerm, []string{`"evnt"`, "PMU cpu has no such format term", "event", "umask", "mem-loads"}},
		{"cpu/event=zz/", ErrBadTerm, []string{`"zz" is not a number`}},
		{"msr/tcs/", ErrBadTerm, []string{`"tcs"`, "tsc"}},
		{"mem-lods", ErrUnknownEvent, []string{"cpu/mem-loads/"}},
		{"cpu/event=1/x/", ErrSyntax, []string{"unmatched '/'"}},
		{"cpu/event=1/x/y/", ErrSyntax, []string{"after the closing"}},
		{"cpu/event=1/q", ErrSyntax, []string{"unknown modifier 'q'"}},
	}
	for _, c := range cases {
		_, err := s.ParseEvent(c.name)
		if err == nil {
			t.Errorf("ParseEvent(%q) succeeded", c.name)
			continue
		}
		msg := err.Error()
		ok := errors.Is(err, c.sentinel) && strings.HasPrefix(msg, "pmc: ") && strings.Count(msg, "pmc:") == 1
		for _, s := range c.says {
			ok = ok && strings.Contains(msg, s)
		}
		if !ok {
			t.Errorf("ParseEvent(%q) = %v; want %v saying %q, prefixed once", c.name, err, c.sentinel, c.says)
		}
	}
}

// TestSysfsPMUs lists the recorded trees' PMUs with their types.
func TestSysfsPMUs(t *testing.T) {
	pmus, err := recorded("amd").PMUs()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pmus {
		got = append(got, p.Name)
	}
	want := []string{"amd_df", "amd_l3", "breakpoint", "cpu", "ibs_fetch", "ibs_op", "kprobe", "msr", "power", "software", "tracepoint", "uprobe"}
	if !slices.Equal(got, want) {
		t.Fatalf("AMD PMUs %v, want %v", got, want)
	}
	cpu, err := recorded("amd").PMU("cpu")
	if err != nil || cpu.Type != 4 || !slices.Equal(cpu.Formats["event"].Ranges, []BitRange{{0, 7}, {32, 35}}) {
		t.Errorf("AMD cpu = %+v, %v", cpu, err)
	}
	if _, err := (Sysfs{Root: t.TempDir()}).PMU("cpu"); !errors.Is(err, ErrUnknownPMU) {
		t.Errorf("PMU of an empty tree: %v", err)
	}
	if _, err := (Sysfs{Root: filepath.Join(t.TempDir(), "absent")}).PMUs(); err == nil || !strings.HasPrefix(err.Error(), "pmc: ") {
		t.Errorf("PMUs of a missing tree: %v", err)
	}
}

// TestParseFormat checks format files' syntax, bit placement and errors.
func TestParseFormat(t *testing.T) {
	cases := []struct {
		in     string
		field  string
		ranges []BitRange
		value  uint64
		placed uint64
	}{
		{"config:0-7", "config", []BitRange{{0, 7}}, 0x3c, 0x3c},
		{"config:0-7,32-35\n", "config", []BitRange{{0, 7}, {32, 35}}, 0x1c0, 0x1_0000_00c0},
		{"config:23", "config", []BitRange{{23, 23}}, 1, 1 << 23},
		{"config1:0-63", "config1", []BitRange{{0, 63}}, ^uint64(0), ^uint64(0)},
		{"config2:8-15", "config2", []BitRange{{8, 15}}, 0xab, 0xab00},
	}
	for _, c := range cases {
		f, err := ParseFormat(c.in)
		if err != nil || f.Field != c.field || !slices.Equal(f.Ranges, c.ranges) {
			t.Errorf("ParseFormat(%q) = %+v, %v", c.in, f, err)
			continue
		}
		if got, err := f.Place(c.value); err != nil || got != c.placed {
			t.Errorf("%q: Place(%#x) = %#x, %v; want %#x", c.in, c.value, got, err, c.placed)
		}
	}
	if _, err := (Format{Field: "config", Ranges: []BitRange{{0, 7}}}).Place(0x100); !errors.Is(err, ErrBadTerm) {
		t.Errorf("Place(0x100) in 8 bits: %v", err)
	}
	for _, bad := range []string{"", "config", "conf:0-7", "config:", "config:7-0", "config:0-64", "config:a-b", "config:0-7,", "config:-1"} {
		if _, err := ParseFormat(bad); !errors.Is(err, ErrSyntax) || !strings.HasPrefix(err.Error(), "pmc: ") {
			t.Errorf("ParseFormat(%q) = %v, want ErrSyntax", bad, err)
		}
	}
}

// TestParseEventAmbiguousAlias names an alias two PMUs have, neither the
// cpu PMU: the error lists them and asks for one.
func TestParseEventAmbiguousAlias(t *testing.T) {
	root := t.TempDir()
	for _, pmu := range []string{"uncore_imc_0", "uncore_imc_1"} {
		dir := filepath.Join(root, pmu, "events")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, pmu, "type"), []byte("20\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "clockticks"), []byte("event=0x00\n"), 0o644)
		os.Mkdir(filepath.Join(root, pmu, "format"), 0o755)
		os.WriteFile(filepath.Join(root, pmu, "format", "event"), []byte("config:0-7\n"), 0o644)
	}
	_, err := Sysfs{Root: root}.ParseEvent("clockticks")
	if !errors.Is(err, ErrUnknownEvent) || !strings.Contains(err.Error(), "several PMUs have it (uncore_imc_0, uncore_imc_1): name one, as in uncore_imc_0/clockticks/") {
		t.Errorf("an alias of two PMUs: %v", err)
	}
	e, err := Sysfs{Root: root}.ParseEvent("uncore_imc_1/clockticks/")
	if err != nil || e.PMU != "uncore_imc_1" || e.Type != 20 || e.Sampleable {
		t.Errorf("uncore_imc_1/clockticks/ = %+v, %v: want an uncore event, not sampleable", e, err)
	}
}
