package pmc

import (
	"fmt"
	"time"
)

// State says whether a Count holds a value.
type State int

const (
	// Counted: the event ran on a PMU for part or all of the time it was
	// enabled; Scaled estimates the whole.
	Counted State = iota
	// NotCounted: the event was enabled but never got onto a PMU (time
	// running 0, as when more events are multiplexed than there are
	// counters, or the target never ran). perf stat prints
	// "<not counted>". There is no value, not even 0.
	NotCounted
	// NotSupported: the event could not be opened on this machine (Err
	// says why; perf stat prints "<not supported>").
	NotSupported
)

// String returns perf stat's words for the state.
func (s State) String() string {
	switch s {
	case Counted:
		return "counted"
	case NotCounted:
		return "<not counted>"
	case NotSupported:
		return "<not supported>"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Count is an event's count, summed over every thread and CPU the counter
// watches: the raw value and the times the event was enabled and running,
// in nanoseconds. Sums are scaled as perf stat scales them: the raw values
// and the times are added up first.
type Count struct {
	Event   Event
	Raw     uint64
	Enabled uint64 // ns the event was enabled
	Running uint64 // ns the event was on a PMU, counting
	// Err is why the event is not supported (State NotSupported); nil
	// otherwise.
	Err error
}

// State says whether c holds a value.
func (c Count) State() State {
	switch {
	case c.Err != nil:
		return NotSupported
	case c.Running == 0:
		return NotCounted
	}
	return Counted
}

// Scaled returns the count estimated over the whole time the event was
// enabled, Raw × Enabled / Running (Raw when the event ran all the time or
// the times were not read), and true; or 0 and false when the event was
// not counted or is not supported. The PMU's .scale (Event.Scale) is not
// applied: see Value.
func (c Count) Scaled() (float64, bool) {
	if c.State() != Counted {
		return 0, false
	}
	if c.Enabled == c.Running {
		return float64(c.Raw), true
	}
	return float64(c.Raw) * float64(c.Enabled) / float64(c.Running), true
}

// Value returns Scaled multiplied by the event's unit scale (Event.Scale,
// from its PMU's .scale file; 1 when 0), in Event.Unit.
func (c Count) Value() (float64, bool) {
	v, ok := c.Scaled()
	if ok && c.Event.Scale != 0 {
		v *= c.Event.Scale
	}
	return v, ok
}

// RunningShare is the fraction of its enabled time the event was counting,
// Running / Enabled in [0, 1]: perf stat's last column ("(50.01%)") is 100
// times it, printed when it is below 1. It is 0 for an event not counted
// or not supported.
func (c Count) RunningShare() float64 {
	if c.State() != Counted || c.Enabled == 0 {
		return 0
	}
	return float64(c.Running) / float64(c.Enabled)
}

// Multiplexed reports whether the event shared a PMU counter with others
// (it ran less than the time it was enabled), so that Scaled is an
// estimate.
func (c Count) Multiplexed() bool { return c.State() == Counted && c.Running < c.Enabled }

// sub returns the count between an earlier reading prev and c: the raw
// value and both times as differences, so an interval is scaled by its
// own share.
func (c Count) sub(prev Count) Count {
	d := c
	d.Raw -= prev.Raw
	d.Enabled -= prev.Enabled
	d.Running -= prev.Running
	return d
}

// add adds o's raw value and times to c.
func (c *Count) add(o Count) {
	c.Raw += o.Raw
	c.Enabled += o.Enabled
	c.Running += o.Running
}

// CPUCounts is the counts of one CPU, for a counter on CPUs or a cgroup.
type CPUCounts struct {
	CPU    int
	Counts []Count
}

// Reading is what a Counter read: every event's count in the order the
// groups and their events were given, and, for a counter on CPUs or a
// cgroup, the same per CPU (nil otherwise).
type Reading struct {
	Time   time.Time
	Counts []Count
	PerCPU []CPUCounts
}

// Get returns the count of the event named name (as it was written, or
// without its modifiers) and true, or false when the reading has none.
func (r Reading) Get(name string) (Count, bool) {
	for _, c := range r.Counts {
		if c.Event.Name == name {
			return c, true
		}
	}
	for _, c := range r.Counts {
		if baseName(c.Event.Name) == name {
			return c, true
		}
	}
	return Count{}, false
}

// Sub returns the counts between an earlier reading of the same counter
// and r: the events' running totals are subtracted, so consecutive
// intervals add up to the total exactly, and each interval's times (hence
// its scaling and NotCounted state) are its own.
func (r Reading) Sub(prev Reading) Reading {
	d := Reading{Time: r.Time, Counts: subCounts(r.Counts, prev.Counts)}
	for i, pc := range r.PerCPU {
		var before []Count
		if i < len(prev.PerCPU) && prev.PerCPU[i].CPU == pc.CPU {
			before = prev.PerCPU[i].Counts
		}
		d.PerCPU = append(d.PerCPU, CPUCounts{CPU: pc.CPU, Counts: subCounts(pc.Counts, before)})
	}
	return d
}

func subCounts(now, prev []Count) []Count {
	d := make([]Count, len(now))
	for i, c := range now {
		if i < len(prev) {
			d[i] = c.sub(prev[i])
		} else {
			d[i] = c
		}
	}
	return d
}

// baseName is an event's name without its modifiers ("cycles:u" ->
// "cycles"); a PMU event's slashes are kept.
func baseName(name string) string {
	if i := lastColon(name); i >= 0 {
		return name[:i]
	}
	return name
}

func lastColon(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ':':
			return i
		case '/':
			return -1
		}
	}
	return -1
}
