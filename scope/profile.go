package scope

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Stack is one distinct stack of a Profile.
type Stack struct {
	// Frames are the folded frames, root first, separated by ';', named as
	// package collapse names them for the input's format.
	Frames string
	// Idle reports a sample of an idle CPU (see the package doc): heat maps
	// and ranges leave it out unless Options.Idle is set.
	Idle bool
}

// Profile is a timed profile: every sample with its time, sorted by time,
// and its stack among the distinct Stacks.
type Profile struct {
	stacks []Stack
	times  []float64 // seconds, ascending
	ids    []uint32  // the stack of each sample
	start  float64   // the time the heat map's first column counts from
	end    float64   // the time its last column reaches

	// Each stack's rank among the distinct Frames, in sorted order, and
	// the Frames of each rank: stacks of different samples may fold alike,
	// and a range's profile is made, sorted and merged, by rank.
	rank         []uint32
	framesByRank []string
}

// Stacks returns the distinct stacks; a sample's stack is an index in it.
func (p *Profile) Stacks() []Stack { return p.stacks }

// Len returns the number of samples, idle ones included.
func (p *Profile) Len() int { return len(p.times) }

// Sample returns the time, in seconds, and the stack of the i-th sample in
// time order.
func (p *Profile) Sample(i int) (seconds float64, stack int) {
	return p.times[i], int(p.ids[i])
}

// Start returns the time of the profile's start in seconds: its first
// sample's for perf script and pprof, the profile's startTime for a
// .cpuprofile. Columns and ranges count from its whole second,
// math.Floor(Start()).
func (p *Profile) Start() float64 { return p.start }

// End returns the time of the profile's end in seconds: its last sample's,
// or a .cpuprofile's endTime.
func (p *Profile) End() float64 { return p.end }

// Seconds returns the number of heat map columns: the whole seconds from
// the start's to the end's, rounded up, and at least the last sample's.
func (p *Profile) Seconds() int {
	last := math.Inf(-1)
	if n := len(p.times); n > 0 {
		last = p.times[n-1]
	}
	return seconds(p.start, p.end, last)
}

// seconds returns the heat map columns of a profile from start to end
// whose last sample is at last (-Inf for none).
func seconds(start, end, last float64) int {
	base := math.Floor(start)
	cols := int(math.Ceil(end) - base)
	if !math.IsInf(last, -1) {
		// FlameScope sizes its map as above and fails when the last sample
		// is on a whole second (its column is one past): give it a column.
		cols = max(cols, int(math.Floor(last-base))+1)
	}
	return cols
}

// MaxSeconds bounds the time a profile spans (a day), which its heat map
// has a column for each second of.
const MaxSeconds = 86400

// builder collects the samples of a profile as a reader finds them.
type builder struct {
	p      Profile
	ids    map[string]uint32 // stack key → id
	sorted bool
}

func newBuilder() *builder {
	return &builder{ids: map[string]uint32{}, sorted: true, p: Profile{start: math.Inf(1), end: math.Inf(-1)}}
}

// stack returns the id of the stack with this key, adding it when new,
// with the key as its Frames until the reader names it.
func (b *builder) stack(key []byte, idle bool) (id uint32, added bool) {
	if id, ok := b.ids[string(key)]; ok {
		return id, false
	}
	id = uint32(len(b.p.stacks))
	k := string(key)
	b.ids[k] = id
	b.p.stacks = append(b.p.stacks, Stack{Frames: k, Idle: idle})
	return id, true
}

// add records a sample at t seconds of stack id.
func (b *builder) add(t float64, id uint32) {
	if n := len(b.p.times); n > 0 && t < b.p.times[n-1] {
		b.sorted = false
	}
	b.p.times = append(b.p.times, t)
	b.p.ids = append(b.p.ids, id)
	b.p.start = min(b.p.start, t)
	b.p.end = max(b.p.end, t)
}

// profile sorts the samples by time (stably: perf script's order is kept
// for equal times) and returns the profile.
func (b *builder) profile() (*Profile, error) {
	if len(b.p.times) == 0 {
		return nil, ErrNoSamples
	}
	return b.finish()
}

// checkSpan fails with ErrFormat when samples from start to end seconds
// are not within MaxSeconds from 0 on.
func checkSpan(start, end float64) error {
	if !(start >= 0) || end-math.Floor(start) > MaxSeconds {
		return fmt.Errorf("%w: samples from %v s to %v s (at most %d s from 0 on)", ErrFormat, start, end, MaxSeconds)
	}
	return nil
}

// finish checks the span of the samples, from b.p.start to b.p.end (which
// a reader that keeps some of them only sets to all of theirs), sorts them
// and returns the profile.
func (b *builder) finish() (*Profile, error) {
	p := &b.p
	if err := checkSpan(p.start, p.end); err != nil {
		return nil, err
	}
	if !b.sorted {
		order := make([]int32, len(p.times))
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortStableFunc(order, func(x, y int32) int { return cmp.Compare(p.times[x], p.times[y]) })
		times, ids := make([]float64, len(order)), make([]uint32, len(order))
		for i, o := range order {
			times[i], ids[i] = p.times[o], p.ids[o]
		}
		p.times, p.ids = times, ids
	}
	b.ids = nil
	p.rankFrames()
	return p, nil
}

// rankFrames sets rank and framesByRank.
func (p *Profile) rankFrames() {
	order := make([]uint32, len(p.stacks))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(p.stacks[a].Frames, p.stacks[b].Frames) })
	p.rank = make([]uint32, len(p.stacks))
	for i, id := range order {
		if i == 0 || p.stacks[id].Frames != p.framesByRank[len(p.framesByRank)-1] {
			p.framesByRank = append(p.framesByRank, p.stacks[id].Frames)
		}
		p.rank[id] = uint32(len(p.framesByRank) - 1)
	}
}
