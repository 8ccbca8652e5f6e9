package pmc

import (
	"errors"

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
