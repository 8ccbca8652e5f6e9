// Package perfevent opens Linux perf_event sampling events and reads what
// they record: the attribute for an event (its own part made by package
// pmc) sampled with instruction pointers, thread ids, times, CPUs, call
// chains and, at a frequency, periods (and, for a user-space unwinder, user
// registers and a copy of the user stack), the mmap ring buffer the kernel
// writes records into, and the decoding of those records.
//
// Errors from perf_event_open are mapped to ErrPermission (with the
// perf_event_paranoid value and what to change) and ErrNotSupported (an
// event this machine cannot count, such as a hardware counter in a VM
// without a PMU). Record parsing never panics on malformed input: it
// returns an error wrapping ErrMalformed.
package perfevent
