// Package procfs parses the /proc files that flamekit's profiler and
// symbolizer share: a process's memory mappings (/proc/PID/maps) and the
// fields of /proc/PID/status they need (name, user ids, namespace pids).
//
// A live process is read through a [Dir], its /proc/PID directory held
// open: once the process is reaped its reads fail, rather than reading
// whatever process has since taken the pid.
//
// Parsers take an io.Reader so they work on captured files as well as on a
// live /proc; malformed input yields an error wrapping ErrMalformed, never a
// panic.
package procfs

import "errors"

// ErrMalformed reports a /proc file that does not have the expected format.
var ErrMalformed = errors.New("procfs: malformed input")

// maxLine bounds a line of a /proc file (a path is at most PATH_MAX, 4096
// bytes, escaped by the kernel to at most four times that).
const maxLine = 64 << 10
