package pmc

import (
	"golang.org/x/sys/unix"

	"github.com/flamekit/flamekit/internal/perfevent"
)

// MostPrecise returns e as it is when it does not ask for the most precise
// level (:P); else e with the most precise level this machine's PMU takes
// for it, found as perf finds it: by opening it, disabled, on the calling
// thread with each level from 3 down, until one opens. An event that opens
// at no level (not supported here, or not permitted on a thread) gets
// level 0, and opening it for use says why.
func (e Event) MostPrecise() Event {
	if !e.MaxPrecise {
		return e
	}
	for {
		a := e.Attr()
		a.Bits |= unix.PerfBitDisabled
		if fd, err := perfevent.Open(&a, 0, -1); err == nil {
			fd.Close()
			e.Precise, e.MaxPrecise = e.precise(), false
			return e
		}
		less, ok := e.lessPrecise()
		if !ok {
			e.Precise, e.MaxPrecise = 0, false
			return e
		}
		e = less
	}
}
