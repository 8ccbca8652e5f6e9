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
// annotation it gets when the options ask for one.
//
// perf prints a frame, and a call path, with the same bytes every time. So
// the parser (parser.go) finds a frame line it has read before in a table of
// lines (lines.go), with the name ids of its frames, without splitting it,
// checking first the line that followed the line before it last time; a new
// line is split where it is and its symbol, without the offset, is found in
// a table of symbols (symbols.go), with its frames as name ids, made the
// first time. And the last lines of a sample, when a sample before had the
// same bytes after the same line, come from a memo of sample bodies
// (memo.go), with one compare for them all. A header that starts like one of
// the last few and ends like the last one is not split (headermemo.go). A
// stack is a sequence of name ids (stacks.go), found by a hash the parser
// keeps as it reads; the texts are made once per distinct stack, at the end,
// in sorted order (a sort on the ranks of the names). The parser holds one
// sample, those bounded tables (16 MiB by default) and one entry per
// distinct stack and name, never the input; they take their memory from a
// region of huge pages (region.go), given back whole when the input is
// folded.
//
// [Read] is the entry point: it folds the input with one parser, or, with
// [Options].Threads > 1, cuts it at sample boundaries and folds the chunks
// in worker goroutines (parallel.go), then merges their sorted stacks into
// one sorted profile. [WriteFolded] folds the input the same way and writes
// the folded text: with one parser each stack's text is made in the output
// buffer (write.go), so the texts are never all in memory.
package perfscript
