// Package jit reads the files in which JIT compilers name the code they
// generate: perf maps (/tmp/perf-PID.map: the JVM, V8, CPython, .NET) with
// [ParsePerfMap], and jitdumps (jit-PID.dump: V8 with --perf-prof, CPython
// -X perf_jit, .NET, wasmtime, the JVM through perf's agent, with source
// lines) with [ParseJitdump]. Both answer [PerfMap.Lookup] and
// [Jitdump.Lookup] with the [Symbol] holding an address; where ranges
// overlap, the later record wins (JIT compilers reuse memory).
//
// A jitdump grows while its writer runs: [Jitdump.Refresh] reads what was
// appended, and [Jitdump.ReadTail] what follows the last whole record,
// including bytes the writer's C library still buffers, which the caller
// read from the writer's memory. Readers stop at [MaxFileSize].
//
// It is internal to flamekit: symbolize's process snapshots find, vet and
// refresh these files; the tests of profile and cmd/flamekit read the
// jitdumps of the programs they profile.
package jit
