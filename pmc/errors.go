package pmc

import (
	"errors"
	"strings"

	"github.com/flamekit/flamekit/internal/errs"
)

// ErrNotSupported reports an event this machine cannot count or sample, such
// as a hardware event on a virtual machine without a PMU. It wraps
// errors.ErrUnsupported.
var ErrNotSupported = errs.ErrNotSupported

// ErrUnknownEvent reports an event name that no table and no PMU knows.
var ErrUnknownEvent = errors.New("unknown event")

// ErrUnknownPMU reports a PMU/.../ event naming a PMU that is not under
// /sys/bus/event_source/devices.
var ErrUnknownPMU = errors.New("unknown PMU")

// ErrBadTerm reports a term of a PMU/.../ event that the PMU has no format
// field for, or a value too wide for the field's bits.
var ErrBadTerm = errors.New("bad event term")

// ErrSyntax reports an event or event list that is not well formed.
var ErrSyntax = errors.New("malformed event")

// lineErrors is errors said on one line, separated by "; ", each still
// found by errors.Is and errors.As.
type lineErrors []error

func (e lineErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e lineErrors) Unwrap() []error { return e }

// joinLine joins the errors of errs that are not nil into one error said
// on one line, or returns nil when there are none.
func joinLine(errs []error) error {
	var e lineErrors
	for _, err := range errs {
		if err != nil {
			e = append(e, err)
		}
	}
	if len(e) == 0 {
		return nil
	}
	return e
}
