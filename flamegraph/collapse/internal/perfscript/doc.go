// Package perfscript folds the text `perf script` prints into stacks, the
// way stackcollapse-perf.pl does; collapse.Perf is its public face. It scans
// bytes instead of matching regular expressions: every rule names the case
// it settles, and the parity tests of package collapse check the output
// byte for byte against the perl on real captures.
//
// The input is a series of samples: a header line (header.go reads the
// comm, PID, TID, period and event of its forms), indented frame lines from
// the leaf to the root (frame.go splits them into address, symbol and dso),
// and a blank line. Symbols are tidied as the perl tidies them (tidy.go),
// and the class of a frame's dso (dso.go: kernel, JIT) decides the
// annotation it gets when the options ask for one. A memo of repeated
// sample bodies (memo.go) folds a call path perf printed before without
// parsing its lines again. The parser (parser.go) holds one sample and one
// entry per distinct stack, never the input.
//
// [Read] is the entry point: it folds the input with one parser, or, with
// [Options].Threads > 1, cuts it at sample boundaries and folds the chunks
// in worker goroutines (parallel.go), then merges their stacks into one
// sorted profile.
package perfscript
