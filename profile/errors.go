package profile

import (
	"errors"
	"fmt"
)

// ErrPermission reports that profiling was refused for lack of privilege.
// The wrapping error says what would allow it: a capability (CAP_PERFMON,
// CAP_BPF, CAP_SYS_ADMIN), a lower kernel.perf_event_paranoid, or
// profiling user space only.
var ErrPermission = errors.New("profile: permission denied")

// ErrNotSupported reports an event, target or backend this kernel or
// machine does not support, such as a hardware counter in a virtual
// machine without a PMU. It wraps errors.ErrUnsupported.
var ErrNotSupported = fmt.Errorf("profile: not supported: %w", errors.ErrUnsupported)
