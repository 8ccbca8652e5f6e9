package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	pprofile "github.com/google/pprof/profile"
	collectorpb "go.opentelemetry.io/proto/slim/otlp/collector/profiles/v1development"
	profilespb "go.opentelemetry.io/proto/slim/otlp/profiles/v1development"
	"google.golang.org/protobuf/proto"
)

// otlpProfiles returns the profiles of an export request, each with its
// resource attributes.
func otlpProfiles(t *testing.T, req *collectorpb.ExportProfilesServiceRequest) ([]*profilespb.Profile, []map[string]string) {
	t.Helper()
	var profiles []*profilespb.Profile
	var attrs []map[string]string
	for _, rp := range req.ResourceProfiles {
		a := map[string]string{}
		for _, kv := range rp.GetResource().GetAttributes() {
			a[kv.Key] = kv.GetValue().GetStringValue()
		}
		for _, sp := range rp.ScopeProfiles {
			if sp.GetScope().GetName() != ScopeName {
				t.Errorf("scope %q, want %q", sp.GetScope().GetName(), ScopeName)
			}
			for _, p := range sp.Profiles {
				profiles = append(profiles, p)
				attrs = append(attrs, a)
			}
		}
	}
	return profiles, attrs
}

// otlpFolded returns an OTLP profile's samples as folded stacks (root
// first, inlined frames expanded) and their summed values, checking that
// every index is in its table.
func otlpFolded(t *testing.T, d *profilespb.ProfilesDictionary, p *profilespb.Profile) map[string]int64 {
	t.Helper()
	in := func(what string, i int32, n int) {
		if i < 0 || int(i) >= n {
			t.Fatalf("%s index %d out of a table of %d", what, i, n)
		}
	}
	folded := map[string]int64{}
	for _, s := range p.Samples {
		in("stack", s.StackIndex, len(d.StackTable))
		if len(s.Values) != 1 {
			t.Fatalf("a sample has %d values, want 1", len(s.Values))
		}
		var frames []string
		for _, li := range d.StackTable[s.StackIndex].LocationIndices {
			in("location", li, len(d.LocationTable))
			loc := d.LocationTable[li]
			in("mapping", loc.MappingIndex, len(d.MappingTable))
			for _, l := range loc.Lines {
				in("function", l.FunctionIndex, len(d.FunctionTable))
				f := d.FunctionTable[l.FunctionIndex]
				in("string", f.NameStrindex, len(d.StringTable))
				frames = append(frames, d.StringTable[f.NameStrindex])
			}
		}
		slices.Reverse(frames)
		folded[strings.Join(frames, ";")] += s.Values[0]
	}
	return folded
}

// pprofFolded returns a pprof's samples as folded stacks of value i.
func pprofFolded(pp *pprofile.Profile, i int) map[string]int64 {
	folded := map[string]int64{}
	for _, s := range pp.Sample {
		var frames []string
		for _, loc := range s.Location {
			for _, l := range loc.Line {
				frames = append(frames, l.Function.Name)
			}
		}
		slices.Reverse(frames)
		if s.Value[i] != 0 {
			folded[strings.Join(frames, ";")] += s.Value[i]
		}
	}
	return folded
}

// checkNoDuplicates fails t if a dictionary table holds an item twice or
// does not start with its zero value.
func checkNoDuplicates(t *testing.T, d *profilespb.ProfilesDictionary) {
	t.Helper()
	if len(d.StringTable) == 0 || d.StringTable[0] != "" {
		t.Errorf("string_table[0] is not \"\"")
	}
	check := func(table string, items []proto.Message) {
		seen := map[string]int{}
		for i, m := range items {
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 && len(b) != 0 {
				t.Errorf("%s[0] is not the zero value", table)
			}
			if j, ok := seen[string(b)]; ok {
				t.Errorf("%s[%d] and [%d] are the same", table, j, i)
			}
			seen[string(b)] = i
		}
	}
	check("mapping_table", msgs(d.MappingTable))
	check("location_table", msgs(d.LocationTable))
	check("function_table", msgs(d.FunctionTable))
	check("stack_table", msgs(d.StackTable))
	check("attribute_table", msgs(d.AttributeTable))
	strs := map[string]bool{}
	for _, s := range d.StringTable {
		if strs[s] {
			t.Errorf("string %q twice in string_table", s)
		}
		strs[s] = true
	}
}

func msgs[M proto.Message](items []M) []proto.Message {
	out := make([]proto.Message, len(items))
	for i, m := range items {
		out[i] = m
	}
	return out
}

func newTestOTLP(t *testing.T, f *fakePyroscope) *OTLP {
	t.Helper()
	o, err := NewOTLP(f.url, OTLPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Endpoint() != f.url+OTLPPath {
		t.Fatalf("endpoint %s, want %s", o.Endpoint(), f.url+OTLPPath)
	}
	return o
}

// What the OTLP client pushes of a recorded process decodes, with the
// OTLP profiles types, to its resource attributes, a CPU profile Pyroscope
// names process_cpu, and the same stacks and counts as the batch's pprof,
// its hot function named; the dictionary holds each item once.
func TestOTLPPushesTheBatchProfile(t *testing.T) {
	p := recordFleetWork(t)
	batches, err := Split(p, SplitOptions{Hostname: "host-1", Labels: map[string]string{"env": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFakePyroscope(t)
	if err := newTestOTLP(t, f).Push(context.Background(), batches); err != nil {
		t.Fatal(err)
	}
	if got, want := f.ids(), idsOf(batches); !slices.Equal(got, want) {
		t.Errorf("profile ids %v, want the batches' %v", got, want)
	}
	f.mu.Lock()
	reqs := f.otlp
	f.mu.Unlock()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	d := reqs[0].Dictionary
	checkNoDuplicates(t, d)
	profiles, attrs := otlpProfiles(t, reqs[0])
	found := false
	for i, b := range batches {
		pp, err := pprofile.ParseData(b.Pprof)
		if err != nil {
			t.Fatal(err)
		}
		got, want := otlpFolded(t, d, profiles[i]), pprofFolded(pp, 0)
		if !maps.Equal(got, want) {
			t.Errorf("%s: OTLP stacks %v, want the pprof's %v", b.Service(), got, want)
		}
		if attrs[i][AttrServiceName] != b.Service() {
			t.Errorf("profile %d: service.name %q, want %q", i, attrs[i][AttrServiceName], b.Service())
		}
		if b.Service() != "fleetwork" {
			continue
		}
		found = true
		// The process has exited: no container or cgroup.
		wantAttrs := map[string]string{AttrServiceName: "fleetwork", AttrHostName: "host-1", "env": "test"}
		if !maps.Equal(attrs[i], wantAttrs) {
			t.Errorf("resource attributes %v, want %v", attrs[i], wantAttrs)
		}
		op := profiles[i]
		st, pt := op.SampleType, op.PeriodType
		if d.StringTable[st.TypeStrindex] != "samples" || d.StringTable[st.UnitStrindex] != "count" || pt == nil ||
			d.StringTable[pt.TypeStrindex] != "cpu" || d.StringTable[pt.UnitStrindex] != "nanoseconds" || op.Period != int64(1e9)/499 {
			t.Errorf("sample type %v period %v %d: want samples/count, cpu/nanoseconds every %d", st, pt, op.Period, int64(1e9)/499)
		}
		if op.TimeUnixNano != uint64(p.Start.UnixNano()) || op.DurationNano != uint64(p.Duration) {
			t.Errorf("time %d duration %d, want %d %d", op.TimeUnixNano, op.DurationNano, p.Start.UnixNano(), p.Duration)
		}
		var all, hot int64
		for stack, n := range got {
			all += n
			if strings.HasSuffix(stack, ";fleet_hot") {
				hot += n
			}
		}
		if all == 0 || hot < all*8/10 {
			t.Errorf("fleet_hot leaf of %d of %d samples, want most: %v", hot, all, got)
		}
	}
	if !found {
		t.Fatalf("no profile of service fleetwork among %d", len(batches))
	}
}

// testPprof returns a gzipped pprof of the given sample types, period
// type and period, with one sample per stack (root first) and its values.
func testPprof(t testing.TB, types [][2]string, period [2]string, every int64, stacks map[string][]int64) []byte {
	t.Helper()
	pp := &pprofile.Profile{Period: every, TimeNanos: time.Now().UnixNano(), DurationNanos: int64(time.Second)}
	for _, st := range types {
		pp.SampleType = append(pp.SampleType, &pprofile.ValueType{Type: st[0], Unit: st[1]})
	}
	if period[0] != "" {
		pp.PeriodType = &pprofile.ValueType{Type: period[0], Unit: period[1]}
	}
	m := &pprofile.Mapping{ID: 1, Start: 0x400000, Limit: 0x500000, File: "/bin/work", BuildID: "abcdef"}
	pp.Mapping = []*pprofile.Mapping{m}
	funcs := map[string]*pprofile.Function{}
	locs := map[string]*pprofile.Location{}
	for _, stack := range slices.Sorted(maps.Keys(stacks)) {
		s := &pprofile.Sample{Value: stacks[stack]}
		frames := strings.Split(stack, ";")
		slices.Reverse(frames)
		for _, name := range frames {
			loc := locs[name]
			if loc == nil {
				fn := &pprofile.Function{ID: uint64(len(funcs) + 1), Name: name, SystemName: name, Filename: "work.c"}
				funcs[name] = fn
				pp.Function = append(pp.Function, fn)
				loc = &pprofile.Location{ID: uint64(len(locs) + 1), Mapping: m, Address: 0x401000 + uint64(len(locs))*16,
					Line: []pprofile.Line{{Function: fn, Line: 10}}}
				locs[name] = loc
				pp.Location = append(pp.Location, loc)
			}
			s.Location = append(s.Location, loc)
		}
		pp.Sample = append(pp.Sample, s)
	}
	var buf bytes.Buffer
	if err := pp.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Off-CPU time in microseconds (as the agent's --off-cpu pprof has it) is
// sent as off_cpu/nanoseconds without a period, the type Pyroscope names
// off_cpu; two batches share one dictionary, each function and mapping
// once.
func TestOTLPOffCPULayoutAndSharedDictionary(t *testing.T) {
	offCPU := testPprof(t, [][2]string{{"blocks", "count"}, {"off-cpu", "microseconds"}}, [2]string{"off-cpu", "microseconds"}, 1,
		map[string][]int64{"main;wait_io": {3, 1500}, "main;sleep_long": {1, 250000}})
	cpu := testPprof(t, [][2]string{{"samples", "count"}, {"cpu", "nanoseconds"}}, [2]string{"cpu", "nanoseconds"}, 10101010,
		map[string][]int64{"main;wait_io": {2, 20202020}})
	batches := []*Batch{
		{ID: newID(), Labels: map[string]string{LabelName: "off_cpu", LabelServiceName: "svc", LabelContainerID: "c0ffee", LabelCgroup: "/a"}, Pprof: offCPU},
		{ID: newID(), Labels: map[string]string{LabelName: "process_cpu", LabelServiceName: "svc"}, Pprof: cpu},
	}
	req, err := ExportRequest(batches)
	if err != nil {
		t.Fatal(err)
	}
	d := req.Dictionary
	checkNoDuplicates(t, d)
	profiles, attrs := otlpProfiles(t, req)
	if len(profiles) != 2 {
		t.Fatalf("%d profiles, want 2", len(profiles))
	}
	off := profiles[0]
	if d.StringTable[off.SampleType.TypeStrindex] != "off_cpu" || d.StringTable[off.SampleType.UnitStrindex] != "nanoseconds" ||
		off.PeriodType != nil || off.Period != 0 {
		t.Errorf("off-CPU sample type %v period %v %d: want off_cpu/nanoseconds and no period", off.SampleType, off.PeriodType, off.Period)
	}
	want := map[string]int64{"main;wait_io": 1500e3, "main;sleep_long": 250000e3}
	if got := otlpFolded(t, d, off); !maps.Equal(got, want) {
		t.Errorf("off-CPU stacks %v, want %v (nanoseconds)", got, want)
	}
	if got, want := otlpFolded(t, d, profiles[1]), map[string]int64{"main;wait_io": 2}; !maps.Equal(got, want) {
		t.Errorf("CPU stacks %v, want %v (counts)", got, want)
	}
	wantAttrs := map[string]string{AttrServiceName: "svc", AttrContainerID: "c0ffee", LabelCgroup: "/a"}
	if !maps.Equal(attrs[0], wantAttrs) {
		t.Errorf("resource attributes %v, want %v", attrs[0], wantAttrs)
	}
	if n := len(d.FunctionTable) - 1; n != 3 {
		t.Errorf("%d functions, want main, wait_io, sleep_long once each", n)
	}
	if len(d.MappingTable) != 2 || len(d.MappingTable[1].AttributeIndices) != 1 {
		t.Fatalf("mappings %v, want one with its build id", d.MappingTable)
	}
	a := d.AttributeTable[d.MappingTable[1].AttributeIndices[0]]
	if d.StringTable[a.KeyStrindex] != attrBuildID || a.GetValue().GetStringValue() != "abcdef" {
		t.Errorf("mapping attribute %v, want %s=abcdef", a, attrBuildID)
	}
}

func newOTLPQueue(t *testing.T, f *fakePyroscope, opts QueueOptions) *Queue {
	t.Helper()
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = 20*time.Millisecond, 100*time.Millisecond
	}
	q, err := NewQueue(newTestOTLP(t, f), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close(context.Background()) })
	return q
}

// otlpTestBatches returns n batches of small real pprofs.
func otlpTestBatches(t *testing.T, n int) []*Batch {
	bs := make([]*Batch, n)
	for i := range bs {
		pprof := testPprof(t, [][2]string{{"samples", "count"}, {"cpu", "nanoseconds"}}, [2]string{"cpu", "nanoseconds"}, 1e7,
			map[string][]int64{fmt.Sprintf("main;work_%d", i): {int64(i + 1), int64(i+1) * 1e7}})
		bs[i] = &Batch{ID: newID(), Labels: map[string]string{LabelServiceName: "svc", LabelName: "process_cpu"}, Pprof: pprof, Start: time.Now()}
	}
	return bs
}

// A 400 answer drops the profiles at once, counted as rejected and
// logged; a partial success counts the profiles it rejected as rejected
// and the others as pushed. Neither is retried.
func TestOTLPRejectedAndPartialSuccess(t *testing.T) {
	f := newFakePyroscope(t)
	f.set(reject)
	log, logText := testLogger()
	q := newOTLPQueue(t, f, QueueOptions{Logger: log, MaxPerPush: 3})
	q.Put(otlpTestBatches(t, 1)[0])
	waitFor(t, "the rejection", func() bool { return q.Stats().Rejected == 1 })
	if !strings.Contains(logText.String(), "push rejected") || !strings.Contains(logText.String(), "400 Bad Request: bad profile") {
		t.Errorf("the rejection is not logged with the answer:\n%s", logText)
	}

	f.set(partial)
	bs := otlpTestBatches(t, 3)
	err := newTestOTLP(t, f).Push(context.Background(), bs)
	var pe *PartialError
	if !errors.As(err, &pe) || !errors.Is(err, ErrRejected) || pe.Rejected != 1 || pe.Sent != 3 || !strings.Contains(err.Error(), "one profile is too old") {
		t.Fatalf("Push answered with a partial success: %v, want a PartialError of 1 of 3 wrapping ErrRejected", err)
	}
	before := f.requests.Load()
	for _, b := range bs {
		q.Put(b)
	}
	waitFor(t, "the partial success", func() bool { return q.Stats().Rejected == 2 })
	time.Sleep(100 * time.Millisecond) // a retry would come after 20ms
	s := q.Stats()
	if s.Pushed != 2 || s.Failed != 2 || s.Queued != 0 {
		t.Errorf("stats %s: want 2 pushed, 2 rejected, 2 failed requests", s)
	}
	if n := f.requests.Load() - before; n != 1 {
		t.Errorf("%d requests for the partial success, want 1 (not retried)", n)
	}
}

func TestNewOTLPEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:4040", "http://127.0.0.1:4040" + OTLPPath},
		{"http://127.0.0.1:4040/", "http://127.0.0.1:4040" + OTLPPath},
		{"https://otel.example:4318/v1development/profiles", "https://otel.example:4318/v1development/profiles"},
		{"http://collector/custom/path", "http://collector/custom/path"},
	} {
		o, err := NewOTLP(tc.in, OTLPOptions{})
		if err != nil || o.Endpoint() != tc.want {
			t.Errorf("NewOTLP(%q): %v %v, want endpoint %s", tc.in, o, err, tc.want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:4040", "ftp://host/x", "http://", "http://a b"} {
		if _, err := NewOTLP(bad, OTLPOptions{}); err == nil || !strings.HasPrefix(err.Error(), "fleet: OTLP URL") {
			t.Errorf("NewOTLP(%q): %v, want an error saying the URL is wrong", bad, err)
		}
	}
}

// A batch whose pprof does not parse is rejected (retrying cannot help)
// with an error that names it, and is not sent.
func TestExportRequestRejectsABadPprof(t *testing.T) {
	b := &Batch{ID: newID(), Labels: map[string]string{LabelServiceName: "svc"}, Pprof: []byte("not a pprof")}
	_, err := ExportRequest([]*Batch{b})
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), b.ID) || !strings.Contains(err.Error(), "svc") {
		t.Errorf("ExportRequest of a bad pprof: %v, want ErrRejected naming the profile", err)
	}
}

// A batch whose pprof does not parse is left out of the push of the
// others, and counted as rejected in a PartialError; when every batch is
// bad, nothing is sent and all are rejected.
func TestOTLPPushLeavesOutABadPprof(t *testing.T) {
	f := newFakePyroscope(t)
	o := newTestOTLP(t, f)
	good := otlpTestBatches(t, 2)
	bad := &Batch{ID: newID(), Labels: map[string]string{LabelServiceName: "broken"}, Pprof: []byte("not a pprof")}
	err := o.Push(context.Background(), []*Batch{good[0], bad, good[1]})
	var pe *PartialError
	if !errors.As(err, &pe) || pe.Rejected != 1 || pe.Sent != 3 || !strings.Contains(err.Error(), "profile "+bad.ID+" of broken") {
		t.Errorf("Push with one bad pprof: %v, want a PartialError of 1 of 3 naming it", err)
	}
	if got, want := f.ids(), idsOf(good); !slices.Equal(got, want) {
		t.Errorf("the backend got %v, want the good ones %v", got, want)
	}
	before := f.requests.Load()
	err = o.Push(context.Background(), []*Batch{bad})
	if !errors.Is(err, ErrRejected) || errors.As(err, &pe) || f.requests.Load() != before {
		t.Errorf("Push of only a bad pprof: %v (%d requests), want ErrRejected and nothing sent", err, f.requests.Load()-before)
	}
}

func FuzzExportRequest(f *testing.F) {
	f.Add(testPprof(f, [][2]string{{"samples", "count"}, {"cpu", "nanoseconds"}}, [2]string{"cpu", "nanoseconds"}, 1e7,
		map[string][]int64{"main;a": {1, 1e7}, "main;b": {2, 2e7}}))
	f.Add(testPprof(f, [][2]string{{"blocks", "count"}, {"off-cpu", "microseconds"}}, [2]string{"off-cpu", "microseconds"}, 1,
		map[string][]int64{"main;w": {1, 5}}))
	f.Add(testPprof(f, [][2]string{{"events", "count"}}, [2]string{}, 0, map[string][]int64{"x": {7}}))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := ExportRequest([]*Batch{{ID: "x", Labels: map[string]string{LabelServiceName: "svc"}, Pprof: data}})
		if err != nil {
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("error %v does not wrap ErrRejected", err)
			}
			return
		}
		profiles, _ := otlpProfiles(t, req)
		if len(profiles) != 1 {
			t.Fatalf("%d profiles, want 1", len(profiles))
		}
		otlpFolded(t, req.Dictionary, profiles[0])
		checkNoDuplicates(t, req.Dictionary)
	})
}

// One batch put into the spooled queues of two backends is spooled by
// each, and each removes its own file once it has pushed it.
func TestOneBatchInTwoSpooledQueues(t *testing.T) {
	f := newFakePyroscope(t)
	f.set(refuse)
	pyroDir, otlpDir := t.TempDir(), t.TempDir()
	pyro := newTestQueue(t, f, QueueOptions{SpoolDir: pyroDir})
	otlp := newOTLPQueue(t, f, QueueOptions{SpoolDir: otlpDir})
	bs := otlpTestBatches(t, 2)
	for _, b := range bs {
		for _, q := range []*Queue{pyro, otlp} {
			if err := q.Put(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, dir := range []string{pyroDir, otlpDir} {
		if files, _ := os.ReadDir(dir); len(files) != 2 {
			t.Fatalf("%d files in %s, want 2", len(files), dir)
		}
	}
	f.set(accept)
	waitFor(t, "both queues pushed", func() bool { return pyro.Stats().Pushed == 2 && otlp.Stats().Pushed == 2 })
	for _, q := range []*Queue{pyro, otlp} {
		if err := q.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{pyroDir, otlpDir} {
		if files, _ := os.ReadDir(dir); len(files) != 0 {
			t.Errorf("%d files left in %s after pushing", len(files), dir)
		}
	}
	want := append(idsOf(bs), idsOf(bs)...)
	if got := f.ids(); !slices.Equal(got, want) {
		t.Errorf("the backend got %v, want %v (each batch from both queues)", got, want)
	}
}
