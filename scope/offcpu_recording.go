package scope

import (
	"fmt"
	"time"

	"github.com/flamekit/flamekit/profile"
)

// BlocksFromRecording returns the off-CPU blocks of a flamekit recording
// made with profile.Options.Timed and Mode profile.ModeOffCPU or
// profile.ModeWall: each timed sample of a blocked stack (Sample.OffCPU)
// is a block that lasted its Value nanoseconds and ended at its Time on
// CLOCK_MONOTONIC (rec.StartMonotonic plus Time; since the Unix epoch
// when the recording does not know its monotonic start), the clock of the
// recording's perf script text. Its function is the innermost function of
// its first user location, named as ReadOffCPU names it in that text, so
// that both give the same blocks (to the microsecond the text keeps).
// The on-CPU samples of a wall recording are left out. A recording
// without an off-CPU sample fails with ErrNoOffCPU, one with off-CPU
// samples but none timed with an error wrapping ErrNoTimestamp.
func BlocksFromRecording(rec *profile.Profile) (*Blocks, error) {
	base := rec.StartMonotonic
	if base <= 0 {
		base = time.Duration(rec.Start.UnixNano())
	}
	var (
		b     Blocks
		funcs funcTable
		named = map[int]int{} // sample → function
	)
	for i, ts := range rec.Timed {
		if ts.Sample < 0 || ts.Sample >= len(rec.Samples) {
			return nil, fmt.Errorf("%w: timed sample %d is of stack %d, of %d", ErrFormat, i, ts.Sample, len(rec.Samples))
		}
		s := &rec.Samples[ts.Sample]
		if !s.OffCPU {
			continue
		}
		fn, ok := named[ts.Sample]
		if !ok {
			fn = recordingFunc(&funcs, s)
			named[ts.Sample] = fn
		}
		b.Blocks = append(b.Blocks, Block{End: base + ts.Time, Duration: time.Duration(ts.Value), Func: fn})
	}
	if len(b.Blocks) == 0 {
		for _, s := range rec.Samples {
			if s.OffCPU {
				return nil, fmt.Errorf("%w: the recording has off-CPU stacks but no timed blocks (record with Options.Timed)", ErrNoTimestamp)
			}
		}
		return nil, ErrNoOffCPU
	}
	b.Funcs = funcs.names
	return &b, nil
}

// recordingFunc returns the index in t of the function a blocked stack
// blocked in: the innermost function of its first user location, or -1
// when it has none.
func recordingFunc(t *funcTable, s *profile.Sample) int {
	if len(s.User) == 0 {
		return -1
	}
	frames := s.User[0].Frames
	if len(frames) == 0 {
		return t.id(unknownFuncName(""))
	}
	if f := frames[0].Function; f != "" {
		return t.id(f)
	}
	return t.id(unknownFuncName(frames[len(frames)-1].Module.Path))
}
