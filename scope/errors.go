package scope

import "errors"

// Sentinel errors callers branch on; the errors returned wrap them with the
// details (the line, the sample, the range).
var (
	// ErrNoTimestamp: the input has samples but no time for one of them (a
	// perf script captured without the time field, a pprof profile without
	// a timestamp label, a recording made without Options.Timed).
	ErrNoTimestamp = errors.New("scope: sample without a timestamp")
	// ErrNoSamples: the input holds no sample at all.
	ErrNoSamples = errors.New("scope: no samples")
	// ErrFormat: the input is not one of the timed formats, or is malformed.
	ErrFormat = errors.New("scope: unrecognised input")
	// ErrRows: a heat map row count outside MinRows..MaxRows.
	ErrRows = errors.New("scope: rows out of range")
	// ErrRangeOutside: a range that does not lie within the profile (a
	// negative start, an end before the start, an end past the profile's
	// last second, or not a number).
	ErrRangeOutside = errors.New("scope: range outside the profile")
	// ErrRangeEmpty: a range within the profile holding no sample that is
	// counted.
	ErrRangeEmpty = errors.New("scope: no samples in range")
)

// ErrNoOffCPU: the input holds no off-CPU sample (no offcpu-time event in
// perf script text, no off-CPU block in a recording).
var ErrNoOffCPU = errors.New("scope: no off-CPU samples")
