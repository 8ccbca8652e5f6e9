// Package collapse turns the output of other profilers into folded stacks,
// the input of flame graphs: one [flamegraph.Profile] whose stacks list
// their frames from the root to the leaf.
//
// # Readers
//
// Each reader takes an io.Reader of one tool's output and an options struct
// whose zero value gives the defaults:
//
//   - [Perf] reads `perf script` text, as stackcollapse-perf.pl does, with
//     [PerfOptions] (the perl's flags). A stack counts samples, or sums the
//     samples' periods when the headers show them: nanoseconds for
//     cpu-clock and task-clock, occurrences of the event otherwise.
//   - [Pprof] reads a pprof protobuf profile (gzipped or not), such as Go's
//     runtime/pprof and net/http/pprof write, with [PprofOptions] (the
//     sample type). A stack counts that type's values, in its unit.
//   - [Bpftrace] reads the map output bpftrace prints at exit, such as
//     `@[kstack, ustack, comm] = count()`, as stackcollapse-bpftrace.pl
//     does, with [BpftraceOptions]. A stack counts its entry's value.
//   - bcc's `profile -f` and `offcputime -f` already print folded stacks;
//     [flamegraph.Parse] reads them.
//
// The profile's Unit names what the counts measure ("" for samples), and
// frames carry the annotations of the folded-stack dialect where the input
// says what they are: [flamegraph.KernelSuffix] and [flamegraph.JITSuffix]
// when PerfOptions asks for them, [flamegraph.InlinedSuffix] for inlined
// functions.
//
// [Read] detects which of these formats it was given (or takes the [Format]
// named in [Options], see [ParseFormat]) and calls that reader with its
// options. Gzipped input is decompressed first, whatever it holds.
//
// Readers keep nothing between calls: each call reads one input to its
// end, and calls may run at the same time.
//
// # One shape
//
// Every reader, and Read, returns the profile and the reader's [Stats]
// beside it: the format read and, for perf script, [PerfStats] (the event
// kept, the samples folded, the samples of other events left out, a last
// sample cut off). A program reports these to its user; the options say
// only what to read.
//
// # What is skipped and what fails
//
// Readers are streaming and tolerant: malformed lines are counted in the
// profile's Skipped (with the first of them, for a message) and never fail
// the read; only read errors and inputs that cannot be that format at all
// return an error. An input cut short (a gzip stream without its end, a
// pprof protobuf that ends inside a field) is such an error, wrapping
// io.ErrUnexpectedEOF: never a smaller profile. Input Read cannot recognise
// is an error wrapping [ErrUnknownFormat], and a pprof sample type the
// profile lacks one wrapping [ErrSampleType]. No input makes a reader panic
// or hang.
package collapse
