// Package perfgen writes synthetic, realistic `perf script` text: the input
// of flamekit's collapse benchmarks, and of tests that need a large capture
// of a known shape.
//
// The text is shaped like `perf record -e cpu-clock -F 999 -g -a` followed
// by a plain `perf script` (perf 6.x default fields: comm, tid, cpu, time,
// period, event, then one line a frame, "\t<address, right-aligned to 16>
// <sym>+0x<off> (<dso>)", leaf first, and a blank line after each sample),
// as in the real system-wide capture in testdata/perf-script-real.txt.gz.
//
// The profile mixes
//   - a Tomcat/Spring JVM (perf-map-agent style JIT frames
//     "Ljava/lang/Thread;::run" from /tmp/perf-PID.map, Interpreter and
//     StubRoutines frames, libjvm.so C2 compiler and GC threads),
//   - a second JVM whose map has the JDK's -XX:+DumpPerfMapAtExit names
//     ("void java.util.HashMap.putVal(int, ...)": spaces and parentheses),
//   - a Go HTTP service (runtime, GC workers, scheduler, generics
//     "[go.shape.string]"),
//   - a C++ server with demangled names (templates, "(anonymous namespace)",
//     lambdas) and one whose names are left mangled ("_ZN7dbshard..."),
//   - CPython, Node.js (JIT frames "JS:*fn file:line:col"), gcc's cc1
//     (without frame pointers: short stacks ending in [unknown]), kworker
//     threads and the idle swapper,
//   - kernel frames ([kernel.kallsyms]) of syscalls, page faults, timer
//     interrupts, libc wrappers, [unknown] frames and [vdso].
//
// Application stacks are 10 to 60 frames deep; idle, kworker and cc1 stacks
// are shorter, as in real data. Each thread role has a catalogue of distinct
// stacks, grown as random walks that share prefixes; samples are drawn from
// each catalogue with Zipf weights, so folding compresses roughly as real
// profiles do. Return-address offsets are fixed per stack; the leaf's offset
// varies per sample. The same Options give the same text.
package perfgen
