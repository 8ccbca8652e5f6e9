// Package sampler is the contract between a profiling session (package
// profile) and its sampling backends (packages bpfsampler and perfsampler
// beside this one): the session resolves its options into a [Config],
// starts a backend with it, and drains the backend's [Sampler] now and
// then into [Sample] values it aggregates, names and hands to its caller
// as a profile.
//
// A backend is started from a Config and hands over what it gathered, at
// each [Sampler.Drain], as Samples: stacks (user and kernel, leaf first)
// of a process or thread with their counts, aggregated in the backend, and,
// when [Config.Timed] is set, every sample on its own with its time and
// CPU. What it could not deliver it counts in [Stats]: samples lost, and
// per cause (the Failure constants, which package profile re-exports)
// samples kept with an incomplete stack. A backend announces the processes
// it sees to [Config.OnNewProcess], so the session can read their address
// space while they live.
//
// The package also holds what the backends and the session share about
// the machine: the online CPUs and cgroup v2 ids, and the errors of kinds
// callers branch on ([ErrNoProcess], and internal/errs' ErrPermission and
// ErrNotSupported, put in an error's chain with [Mark]).
package sampler
