package scope

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Range is a time range in seconds counted from the profile's first whole
// second, math.Floor(Profile.Start()), as FlameScope's range API counts:
// a sample at t is in it when base+Start <= t <= base+End (both ends
// included, as FlameScope includes them).
type Range struct {
	Start, End float64
}

// ParseRange reads a range written "START,END" (seconds, as FlameScope's
// flame graph URLs give them: "3.2,4.48").
func ParseRange(s string) (Range, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return Range{}, fmt.Errorf("scope: range %q is not START,END", s)
	}
	start, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	end, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	if err1 != nil || err2 != nil {
		return Range{}, fmt.Errorf("scope: range %q is not START,END in seconds", s)
	}
	return Range{Start: start, End: end}, nil
}

// String writes the range as ParseRange reads it.
func (r Range) String() string {
	return strconv.FormatFloat(r.Start, 'f', -1, 64) + "," + strconv.FormatFloat(r.End, 'f', -1, 64)
}

// samples returns the indexes [i, j) of the samples of p in r, or an error
// wrapping ErrRangeOutside when r is not within the profile: a start below
// 0, an end below the start, an end past the profile's last whole second
// (FlameScope's bound: base+End <= ceil(last sample)), or NaN.
func (p *Profile) samples(r Range) (i, j int, err error) {
	base := math.Floor(p.start)
	last := math.Ceil(p.end)
	lo, hi := base+r.Start, base+r.End
	if !(r.Start >= 0) || !(r.End >= r.Start) || hi > last {
		return 0, 0, fmt.Errorf("%w: %v in a profile of %d s", ErrRangeOutside, r, int(last-base))
	}
	i = search(p.times, func(t float64) bool { return t >= lo })
	j = search(p.times, func(t float64) bool { return t > hi })
	return i, j, nil
}

// search returns the first index of ts for which ok holds (ok is false
// then true along ts).
func search(ts []float64, ok func(float64) bool) int {
	i, j := 0, len(ts)
	for i < j {
		h := int(uint(i+j) >> 1)
		if ok(ts[h]) {
			j = h
		} else {
			i = h + 1
		}
	}
	return i
}
