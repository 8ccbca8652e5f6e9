package scope

import (
	"fmt"
	"strconv"
	"time"

	"github.com/flamekit/flamekit/profile"
)

// FromRecording makes a timed profile of a flamekit recording made with
// profile.Options.Timed: each of rec.Timed at its time, in seconds on
// CLOCK_MONOTONIC (rec.StartMonotonic plus the sample's Time), the clock
// perf's and the recording's perf script text (profile.Profile.WritePerfScript)
// give, so that both make the same heat map; a recording that does not know
// its monotonic start is timed in seconds since the Unix epoch (rec.Start
// plus the sample's Time). Stacks are named as rec.Folded(fold) names them;
// samples whose stack is the idle task's ("swapper" with an idle function,
// kept with profile.Options.IncludeIdle) are idle. A recording without
// timed samples fails with an error wrapping ErrNoTimestamp (or
// ErrNoSamples when it has no samples at all).
func FromRecording(rec *profile.Profile, fold profile.FoldOptions) (*Profile, error) {
	if len(rec.Timed) == 0 {
		if len(rec.Samples) > 0 {
			return nil, fmt.Errorf("%w: the recording has %d stacks but no timed samples (record with Options.Timed)", ErrNoTimestamp, len(rec.Samples))
		}
		return nil, ErrNoSamples
	}
	fold.Values = false
	b := newBuilder()
	sec, nsec := rec.Start.Unix(), int64(rec.Start.Nanosecond())
	if rec.StartMonotonic > 0 {
		sec, nsec = int64(rec.StartMonotonic/time.Second), int64(rec.StartMonotonic%time.Second)
	}
	for i, ts := range rec.Timed {
		if ts.Sample < 0 || ts.Sample >= len(rec.Samples) {
			return nil, fmt.Errorf("%w: timed sample %d is of stack %d, of %d", ErrFormat, i, ts.Sample, len(rec.Samples))
		}
		id, added := b.stack([]byte(strconv.Itoa(ts.Sample)), false)
		if added {
			one := &profile.Profile{Event: rec.Event, Samples: rec.Samples[ts.Sample : ts.Sample+1]}
			frames := one.Folded(fold).Stacks[0].Frames
			b.p.stacks[id] = Stack{Frames: frames, Idle: isIdle([]byte(frames))}
		}
		// In whole microseconds, as its perf script text prints it: the
		// double nearest that many microseconds is the one ParseFloat
		// makes of the text, so a sample at a cell's edge falls in the
		// same cell both ways.
		ns := nsec + int64(ts.Time)
		us := (sec+ns/1e9)*1e6 + ns%1e9/1e3
		b.add(float64(us)/1e6, id)
	}
	return b.profile()
}
