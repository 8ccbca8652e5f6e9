// Package errs declares, once, the sentinel errors that more than one
// flamekit package returns, so that errors.Is finds them whichever package
// a caller asked. Public packages re-export them by assignment
// (profile.ErrPermission is errs.ErrPermission). Their messages carry no
// package prefix: the error that wraps one says where it came from, once.
package errs

import "errors"

// ErrPermission reports an operation the kernel refused for lack of
// privilege; the error wrapping it says what would allow it (a capability,
// a sysctl).
var ErrPermission = errors.New("permission denied")

// ErrNotSupported reports an event, target or feature this kernel or
// machine does not support, such as a hardware counter in a virtual
// machine without a PMU. errors.Is(ErrNotSupported, errors.ErrUnsupported)
// holds.
var ErrNotSupported error = notSupported{}

type notSupported struct{}

func (notSupported) Error() string        { return "not supported" }
func (notSupported) Is(target error) bool { return target == errors.ErrUnsupported }
