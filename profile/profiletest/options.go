package profiletest

// Format is a kind of file Start writes.
type Format uint8

// The formats: SVG and Pprof unless Formats says otherwise.
const (
	// SVG is an interactive flame graph, TestName.svg.
	SVG Format = iota
	// Pprof is a gzipped pprof profile, TestName.pb.gz, for go tool pprof.
	Pprof
	// Folded is folded stacks, TestName.folded.txt, as
	// stackcollapse-perf.pl writes them.
	Folded
	// PerfScript is `perf script` text, TestName.perf-script.txt, every
	// sample with its time, for FlameScope and flamekit scope.
	PerfScript
)

// ext is the format's file name extension.
func (f Format) ext() string {
	return [...]string{SVG: ".svg", Pprof: ".pb.gz", Folded: ".folded.txt", PerfScript: ".perf-script.txt"}[f]
}

// config is what the options set.
type config struct {
	formats   []Format
	event     string
	frequency uint64
}

// defaultFrequency samples often enough for a test of a second to give a
// readable flame graph.
const defaultFrequency = 999

// Option changes what Start records or writes.
type Option func(*config)

// Formats replaces the files Start writes (SVG and Pprof) by these.
func Formats(formats ...Format) Option {
	return func(c *config) { c.formats = formats }
}

// Event samples another event than cpu-clock, as perf's -e names it
// ("page-faults", "context-switches", ...; see profile.ParseEvent).
func Event(name string) Option {
	return func(c *config) { c.event = name }
}

// Frequency samples hz times a second instead of 999.
func Frequency(hz uint64) Option {
	return func(c *config) { c.frequency = hz }
}
