package pmc

import "fmt"

// BoostEvents is what showboost counts: the msr PMU's TSC, APERF and
// MPERF, in one group.
const BoostEvents = "{msr/tsc/,msr/aperf/,msr/mperf/}"

// Boost is showboost's clock: the GHz the CPUs actually ran at while not
// idle, (tsc / enabled ns) × aperf / mperf — the TSC's rate is the base
// clock, and APERF/MPERF the ratio of actual to base cycles.
var Boost = Metric{Name: "boost-clock", Unit: "GHz", Formula: "(msr/tsc/ / enabled ns) × msr/aperf/ / msr/mperf/",
	Inputs: []string{"msr/tsc/", "msr/aperf/", "msr/mperf/"},
	compute: func(in []Count) (float64, bool) {
		tsc, aperf, mperf := in[0], scaledOf(in[1]), scaledOf(in[2])
		if tsc.Enabled == 0 || mperf == 0 {
			return 0, false
		}
		return scaledOf(tsc) / float64(tsc.Enabled) * aperf / mperf, true
	}}

// ParseBoostEvents parses BoostEvents, or says, with an error wrapping
// ErrNotSupported, that this machine's msr PMU has no APERF/MPERF (a
// virtual machine's often has only tsc) so showboost's clock is not
// supported.
func ParseBoostEvents() ([]Group, error) {
	gs, err := ParseEvents(BoostEvents)
	if err != nil {
		return nil, fmt.Errorf("pmc: showboost's clock needs the msr PMU's aperf and mperf, which this machine does not expose: %w", ErrNotSupported)
	}
	return gs, nil
}
