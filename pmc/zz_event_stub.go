package pmc

// Temporary stand-in for i14-events' pmc/event.go (the shared types of
// ISSUE14): only the events the counting code and its tests need. Deleted
// when that branch is merged.

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/errs"
)

// ErrNotSupported reports an event this machine cannot count.
var ErrNotSupported = errs.ErrNotSupported

// Event is one event as perf_event_open takes it, with the name it was given.
type Event struct {
	Name                                                                          string
	PMU                                                                           string
	Type                                                                          uint32
	Config, Config1, Config2                                                      uint64
	ExcludeUser, ExcludeKernel, ExcludeHV, ExcludeIdle, ExcludeHost, ExcludeGuest bool
	Precise                                                                       uint8
	Pinned                                                                        bool
	Scale                                                                         float64
	Unit                                                                          string
	Sampleable                                                                    bool
}

// Group is events opened and read together.
type Group []Event

var stubEvents = map[string]Event{
	"cpu-clock":        {Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK, Unit: "msec", Scale: 1e-6},
	"task-clock":       {Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_TASK_CLOCK, Unit: "msec", Scale: 1e-6},
	"page-faults":      {Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_PAGE_FAULTS},
	"minor-faults":     {Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_PAGE_FAULTS_MIN},
	"context-switches": {Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CONTEXT_SWITCHES},
	"cpu-migrations":   {Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_MIGRATIONS},
	"cycles":           {Type: unix.PERF_TYPE_HARDWARE, Config: unix.PERF_COUNT_HW_CPU_CYCLES},
	"instructions":     {Type: unix.PERF_TYPE_HARDWARE, Config: unix.PERF_COUNT_HW_INSTRUCTIONS},
	"cache-misses":     {Type: unix.PERF_TYPE_HARDWARE, Config: unix.PERF_COUNT_HW_CACHE_MISSES},
	"cache-references": {Type: unix.PERF_TYPE_HARDWARE, Config: unix.PERF_COUNT_HW_CACHE_REFERENCES},
	"branch-misses":    {Type: unix.PERF_TYPE_HARDWARE, Config: unix.PERF_COUNT_HW_BRANCH_MISSES},
}

// ParseEvent parses one event.
func ParseEvent(s string) (Event, error) {
	name, mods, _ := strings.Cut(s, ":")
	e, ok := stubEvents[name]
	if !ok {
		return Event{}, fmt.Errorf("pmc: unknown event %q: %w", s, ErrNotSupported)
	}
	e.Name = s
	e.ExcludeKernel = strings.Contains(mods, "u")
	e.Sampleable = true
	return e, nil
}

// ParseEvents parses an event list: a,b,{c,d}.
func ParseEvents(list string) ([]Group, error) {
	var gs []Group
	for list != "" {
		if strings.HasPrefix(list, "{") {
			inner, rest, ok := strings.Cut(list[1:], "}")
			if !ok {
				return nil, errors.New("pmc: unclosed {")
			}
			var g Group
			for _, n := range strings.Split(inner, ",") {
				e, err := ParseEvent(n)
				if err != nil {
					return nil, err
				}
				g = append(g, e)
			}
			gs = append(gs, g)
			list = strings.TrimPrefix(rest, ",")
			continue
		}
		n, rest, _ := strings.Cut(list, ",")
		e, err := ParseEvent(n)
		if err != nil {
			return nil, err
		}
		gs = append(gs, Group{e})
		list = rest
	}
	return gs, nil
}

// Attr returns the perf_event_attr for counting.
func (e Event) Attr() unix.PerfEventAttr {
	a := unix.PerfEventAttr{Type: e.Type, Size: uint32(unsafe.Sizeof(unix.PerfEventAttr{})), Config: e.Config, Ext1: e.Config1, Ext2: e.Config2}
	if e.ExcludeKernel {
		a.Bits |= unix.PerfBitExcludeKernel
	}
	if e.ExcludeUser {
		a.Bits |= unix.PerfBitExcludeUser
	}
	return a
}
