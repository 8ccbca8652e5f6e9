package fleet

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	pprofile "github.com/google/pprof/profile"
	collectorpb "go.opentelemetry.io/proto/slim/otlp/collector/profiles/v1development"
	commonpb "go.opentelemetry.io/proto/slim/otlp/common/v1"
	profilespb "go.opentelemetry.io/proto/slim/otlp/profiles/v1development"
	resourcepb "go.opentelemetry.io/proto/slim/otlp/resource/v1"
)

// OpenTelemetry resource attributes (semantic conventions) that the
// labels [Split] sets become in an OTLP profile.
const (
	AttrServiceName = "service.name"
	AttrHostName    = "host.name"
	AttrContainerID = "container.id"
	// attrBuildID is the mapping attribute Pyroscope reads a GNU build ID
	// from.
	attrBuildID = "process.executable.build_id.gnu"
)

// resourceAttrNames maps the labels Split sets to the OpenTelemetry
// attribute names; other labels (the caller's, cgroup) keep their names.
var resourceAttrNames = map[string]string{
	LabelServiceName: AttrServiceName,
	LabelHostname:    AttrHostName,
	LabelContainerID: AttrContainerID,
}

// ScopeName is the instrumentation scope of the OTLP profiles fleet makes.
const ScopeName = "flamekit"

// ExportRequest returns the OTLP ExportProfilesServiceRequest
// (profiles/v1development) that pushes batches: one ResourceProfiles per
// batch whose resource attributes are the batch's labels (service.name,
// host.name, container.id, and the others by their own names; __name__ is
// not sent: the sample type says the kind of profile), each with one
// Profile of the batch's pprof, and one dictionary for all of them in which
// strings, mappings, functions, locations and stacks appear once.
//
// The sample type is the one Pyroscope's OTLP ingest names right: CPU time
// is samples/count with the period cpu/nanoseconds (ingested as
// process_cpu, cpu nanoseconds = count × period); off-CPU time is
// off_cpu/nanoseconds without a period (ingested as off_cpu); another
// event keeps its pprof value type and period. Samples with the same stack
// are summed (the pprof's per-thread labels are not sent). A batch whose
// pprof does not parse is an error wrapping [ErrRejected].
func ExportRequest(batches []*Batch) (*collectorpb.ExportProfilesServiceRequest, error) {
	req, bad := exportRequest(batches)
	if len(bad) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrRejected, bad[0])
	}
	return req, nil
}

// exportRequest is ExportRequest of the batches whose pprof parses, and
// the errors of the others.
func exportRequest(batches []*Batch) (*collectorpb.ExportProfilesServiceRequest, []error) {
	d := newDictionary()
	req := &collectorpb.ExportProfilesServiceRequest{Dictionary: d.pb}
	var bad []error
	for _, b := range batches {
		p, err := d.profile(b)
		if err != nil {
			bad = append(bad, fmt.Errorf("profile %s of %s: %w", b.ID, b.Service(), err))
			continue
		}
		req.ResourceProfiles = append(req.ResourceProfiles, &profilespb.ResourceProfiles{
			Resource: &resourcepb.Resource{Attributes: resourceAttributes(b.Labels)},
			ScopeProfiles: []*profilespb.ScopeProfiles{{
				Scope:    &commonpb.InstrumentationScope{Name: ScopeName},
				Profiles: []*profilespb.Profile{p},
			}},
		})
	}
	return req, bad
}

// resourceAttributes returns a batch's labels as resource attributes,
// sorted by label name.
func resourceAttributes(labels map[string]string) []*commonpb.KeyValue {
	var attrs []*commonpb.KeyValue
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		if name == LabelName {
			continue
		}
		key := name
		if k, ok := resourceAttrNames[name]; ok {
			key = k
		}
		attrs = append(attrs, &commonpb.KeyValue{Key: key, Value: stringValue(labels[name])})
	}
	return attrs
}

func stringValue(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

// sampleLayout is how a pprof's samples become an OTLP profile's.
type sampleLayout struct {
	sampleType, sampleUnit string
	periodType, periodUnit string // "" for none
	period                 int64
	valueIndex             int   // the pprof value sent
	scale                  int64 // what it is multiplied by
}

// layoutOf returns the layout of pp's samples (see ExportRequest).
func layoutOf(pp *pprofile.Profile) (sampleLayout, error) {
	n := len(pp.SampleType)
	if n == 0 {
		return sampleLayout{}, fmt.Errorf("no sample type")
	}
	value := pp.SampleType[n-1]
	pt := pp.PeriodType
	if pt != nil && pt.Type == "cpu" && pt.Unit == "nanoseconds" && pp.Period > 0 {
		for i, st := range pp.SampleType {
			if st.Unit == "count" {
				return sampleLayout{sampleType: "samples", sampleUnit: "count", periodType: "cpu", periodUnit: "nanoseconds",
					period: pp.Period, valueIndex: i, scale: 1}, nil
			}
		}
	}
	if value.Type == "off-cpu" {
		scale, ok := nanosecondsPer[value.Unit]
		if !ok {
			return sampleLayout{}, fmt.Errorf("off-cpu time in %q, not a unit of time", value.Unit)
		}
		return sampleLayout{sampleType: "off_cpu", sampleUnit: "nanoseconds", valueIndex: n - 1, scale: scale}, nil
	}
	l := sampleLayout{sampleType: value.Type, sampleUnit: value.Unit, valueIndex: n - 1, scale: 1}
	if pt != nil && pp.Period > 0 {
		l.periodType, l.periodUnit, l.period = pt.Type, pt.Unit, pp.Period
	}
	return l, nil
}

// nanosecondsPer is the length of a unit of time.
var nanosecondsPer = map[string]int64{"nanoseconds": 1, "microseconds": 1e3, "milliseconds": 1e6, "seconds": 1e9}

// dictionary builds an OTLP ProfilesDictionary whose every table starts
// with its zero value and holds each item once.
type dictionary struct {
	pb        *profilespb.ProfilesDictionary
	strings   map[string]int32
	mappings  map[mappingKey]int32
	functions map[functionKey]int32
	locations map[string]int32
	stacks    map[string]int32
	attrs     map[attrKey]int32
	scratch   []byte
}

type mappingKey struct {
	start, limit, offset uint64
	file, buildID        int32
}

type functionKey struct {
	name, systemName, file int32
	startLine              int64
}

type attrKey struct {
	key   int32
	value string
}

func newDictionary() *dictionary {
	return &dictionary{
		pb: &profilespb.ProfilesDictionary{
			MappingTable:   []*profilespb.Mapping{{}},
			LocationTable:  []*profilespb.Location{{}},
			FunctionTable:  []*profilespb.Function{{}},
			LinkTable:      []*profilespb.Link{{}},
			StringTable:    []string{""},
			AttributeTable: []*profilespb.KeyValueAndUnit{{}},
			StackTable:     []*profilespb.Stack{{}},
		},
		strings:   map[string]int32{"": 0},
		mappings:  map[mappingKey]int32{},
		functions: map[functionKey]int32{},
		locations: map[string]int32{},
		stacks:    map[string]int32{},
		attrs:     map[attrKey]int32{},
	}
}

func (d *dictionary) str(s string) int32 {
	if i, ok := d.strings[s]; ok {
		return i
	}
	i := int32(len(d.pb.StringTable))
	d.pb.StringTable = append(d.pb.StringTable, s)
	d.strings[s] = i
	return i
}

func (d *dictionary) valueType(typ, unit string) *profilespb.ValueType {
	return &profilespb.ValueType{TypeStrindex: d.str(typ), UnitStrindex: d.str(unit)}
}

// profile converts batch b's pprof into a Profile of the dictionary.
func (d *dictionary) profile(b *Batch) (*profilespb.Profile, error) {
	pp, err := pprofile.ParseData(b.Pprof)
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	layout, err := layoutOf(pp)
	if err != nil {
		return nil, err
	}
	p := &profilespb.Profile{
		SampleType:   d.valueType(layout.sampleType, layout.sampleUnit),
		TimeUnixNano: uint64(max(pp.TimeNanos, 0)),
		DurationNano: uint64(max(pp.DurationNanos, 0)),
		ProfileId:    profileID(b.ID),
	}
	if layout.periodType != "" {
		p.PeriodType, p.Period = d.valueType(layout.periodType, layout.periodUnit), layout.period
	}
	mappings := map[*pprofile.Mapping]int32{}
	functions := map[*pprofile.Function]int32{}
	locations := map[*pprofile.Location]int32{}
	byStack := map[int32]*profilespb.Sample{}
	var stack []int32
	for _, s := range pp.Sample {
		if layout.valueIndex >= len(s.Value) {
			return nil, fmt.Errorf("a sample has %d values, want %d", len(s.Value), len(pp.SampleType))
		}
		v := s.Value[layout.valueIndex] * layout.scale
		if v == 0 {
			continue
		}
		stack = stack[:0]
		for _, loc := range s.Location {
			li, ok := locations[loc]
			if !ok {
				li = d.location(loc, mappings, functions)
				locations[loc] = li
			}
			stack = append(stack, li)
		}
		si := d.stack(stack)
		if smp := byStack[si]; smp != nil {
			smp.Values[0] += v
			continue
		}
		smp := &profilespb.Sample{StackIndex: si, Values: []int64{v}}
		byStack[si] = smp
		p.Samples = append(p.Samples, smp)
	}
	return p, nil
}

// profileID returns a batch ID (a UUID) as the 16 bytes of a profile_id,
// or nil for an ID that is not one.
func profileID(id string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(b) != 16 {
		return nil
	}
	return b
}

func (d *dictionary) location(loc *pprofile.Location, mappings map[*pprofile.Mapping]int32, functions map[*pprofile.Function]int32) int32 {
	var mi int32
	if m := loc.Mapping; m != nil {
		var ok bool
		if mi, ok = mappings[m]; !ok {
			mi = d.mapping(m)
			mappings[m] = mi
		}
	}
	lines := make([]*profilespb.Line, len(loc.Line))
	key := d.scratch[:0]
	key = binary.AppendVarint(key, int64(mi))
	key = binary.AppendVarint(key, int64(loc.Address))
	for i, l := range loc.Line {
		var fi int32
		if f := l.Function; f != nil {
			var ok bool
			if fi, ok = functions[f]; !ok {
				fi = d.function(f)
				functions[f] = fi
			}
		}
		lines[i] = &profilespb.Line{FunctionIndex: fi, Line: l.Line, Column: l.Column}
		key = binary.AppendVarint(binary.AppendVarint(binary.AppendVarint(key, int64(fi)), l.Line), l.Column)
	}
	d.scratch = key
	if i, ok := d.locations[string(key)]; ok {
		return i
	}
	i := int32(len(d.pb.LocationTable))
	d.pb.LocationTable = append(d.pb.LocationTable, &profilespb.Location{MappingIndex: mi, Address: loc.Address, Lines: lines})
	d.locations[string(key)] = i
	return i
}

func (d *dictionary) mapping(m *pprofile.Mapping) int32 {
	key := mappingKey{start: m.Start, limit: m.Limit, offset: m.Offset, file: d.str(m.File)}
	if m.BuildID != "" {
		key.buildID = d.attr(attrBuildID, m.BuildID)
	}
	if i, ok := d.mappings[key]; ok {
		return i
	}
	i := int32(len(d.pb.MappingTable))
	pm := &profilespb.Mapping{MemoryStart: m.Start, MemoryLimit: m.Limit, FileOffset: m.Offset, FilenameStrindex: key.file}
	if key.buildID != 0 {
		pm.AttributeIndices = []int32{key.buildID}
	}
	d.pb.MappingTable = append(d.pb.MappingTable, pm)
	d.mappings[key] = i
	return i
}

func (d *dictionary) function(f *pprofile.Function) int32 {
	key := functionKey{name: d.str(f.Name), systemName: d.str(f.SystemName), file: d.str(f.Filename), startLine: f.StartLine}
	if i, ok := d.functions[key]; ok {
		return i
	}
	i := int32(len(d.pb.FunctionTable))
	d.pb.FunctionTable = append(d.pb.FunctionTable, &profilespb.Function{NameStrindex: key.name, SystemNameStrindex: key.systemName,
		FilenameStrindex: key.file, StartLine: key.startLine})
	d.functions[key] = i
	return i
}

func (d *dictionary) attr(key, value string) int32 {
	k := attrKey{key: d.str(key), value: value}
	if i, ok := d.attrs[k]; ok {
		return i
	}
	i := int32(len(d.pb.AttributeTable))
	d.pb.AttributeTable = append(d.pb.AttributeTable, &profilespb.KeyValueAndUnit{KeyStrindex: k.key, Value: stringValue(value)})
	d.attrs[k] = i
	return i
}

func (d *dictionary) stack(locations []int32) int32 {
	key := d.scratch[:0]
	for _, l := range locations {
		key = binary.AppendVarint(key, int64(l))
	}
	d.scratch = key
	if i, ok := d.stacks[string(key)]; ok {
		return i
	}
	i := int32(len(d.pb.StackTable))
	d.pb.StackTable = append(d.pb.StackTable, &profilespb.Stack{LocationIndices: slices.Clone(locations)})
	d.stacks[string(key)] = i
	return i
}
