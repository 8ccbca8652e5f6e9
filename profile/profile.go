package profile

import (
	"time"

	"github.com/flamekit/flamekit/symbolize"
)

// Profile is what a Session gathered between two collections: stacks with
// their counts, named, and the counts of what could not be gathered.
type Profile struct {
	Event     Event
	Frequency uint64 // samples per second asked for; 0 when Period is used
	Period    uint64 // events per sample asked for; 0 when Frequency is used
	Start     time.Time
	Duration  time.Duration
	Backend   Backend // the backend that sampled
	Samples   []Sample
	// Timed lists every sample with its time, when Options.Timed was set.
	Timed []TimedSample
	// Lost counts samples that were dropped (a full ring buffer or map):
	// they are in no Sample.
	Lost uint64
	// LostValue is the sum of the lost samples' periods (nanoseconds of CPU
	// for cpu-clock), where the backend knows it.
	LostValue uint64
	// Failures counts, per cause, samples kept with an incomplete stack (a
	// stack that could not be read, such as [FailureUserStackFull]; a user
	// stack cut where its frame-pointer walk went astray, such as
	// [FailureUserStackLoop]), the causes of Lost (such as
	// [FailureRingFull]) and events of the backends. Its keys are the
	// Failure constants.
	Failures map[string]uint64

	// StartMonotonic is Start on CLOCK_MONOTONIC, the clock samples are
	// timed on (perf's, with use_clockid, and bpf_ktime_get_ns'): time
	// since boot, suspend not counted. A timed sample was taken at
	// StartMonotonic plus its Time. 0 when unknown.
	StartMonotonic time.Duration
}

// Sample is a stack seen Count times.
type Sample struct {
	PID  int
	TID  int // 0 unless Options.PerThread
	Comm string
	// User and Kernel are the stacks, leaf first.
	User, Kernel []Location
	// Count is the number of samples; of blocks when OffCPU is set.
	Count uint64
	// Value is the sum of the samples' periods, in Event.Unit (nanoseconds
	// of CPU for cpu-clock); microseconds, on CPU or blocked, in off-CPU
	// and wall profiles (ModeOffCPU, ModeWall).
	Value uint64
	// OffCPU marks blocked time (ModeOffCPU, and the blocked stacks of
	// ModeWall): the stacks are where the thread blocked.
	OffCPU bool
	// Waker is the thread that woke the blocked one (Options.Wakeups);
	// nil when not asked for, or when the backend did not see the wakeup.
	Waker *Waker
}

// Location is an address of a stack and its frames, innermost first: more
// than one when code was inlined. An address that could not be named has
// one frame of kind symbolize.KindUnknown that keeps its module and offset.
type Location struct {
	Address uint64
	Frames  []symbolize.Frame
}

// TimedSample is one sample with its time, for sub-second views.
type TimedSample struct {
	Time   time.Duration // since Profile.Start
	CPU    int
	PID    int
	TID    int
	Sample int // index in Profile.Samples of its stack
	// Value is the sample's period in the event's own unit (nanoseconds
	// for cpu-clock). In off-CPU and wall profiles it is nanoseconds, on
	// CPU or blocked, whatever Event.Unit says: a timed sample of blocked
	// time is one block, Value long, and Time is when its thread ran
	// again.
	Value uint64
}

// Total returns the sum of the samples' counts: samples, blocks in an
// off-CPU profile, samples and blocks in a wall profile.
func (p *Profile) Total() uint64 {
	var n uint64
	for _, s := range p.Samples {
		n += s.Count
	}
	return n
}

// Merge returns one profile of several, such as the successive collections
// of a long recording: their samples, timed samples (re-based on the first
// profile's start), losses and failures, over the time they span.
func Merge(ps ...*Profile) *Profile {
	if len(ps) == 0 {
		return &Profile{Failures: map[string]uint64{}}
	}
	out := *ps[0]
	out.Samples, out.Timed, out.Failures = nil, nil, map[string]uint64{}
	out.Lost, out.LostValue = 0, 0 // summed below, the first's with the others'
	end := out.Start
	for _, p := range ps {
		off := p.Start.Sub(out.Start)
		for _, t := range p.Timed {
			t.Time += off
			t.Sample += len(out.Samples)
			out.Timed = append(out.Timed, t)
		}
		out.Samples = append(out.Samples, p.Samples...)
		out.Lost += p.Lost
		out.LostValue += p.LostValue
		for k, v := range p.Failures {
			out.Failures[k] += v
		}
		if e := p.Start.Add(p.Duration); e.After(end) {
			end = e
		}
	}
	out.Duration = end.Sub(out.Start)
	return &out
}
