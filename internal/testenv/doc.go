// Package testenv is what flamekit's tests share about the machine they run
// on: whether a requirement (root, a tool, Chromium, perf_event access) is
// met, and what to do when it is not; building the C programs tests run
// from the .c files in their package's testdata; and a check that a
// package's tests leave nothing open behind them.
//
// The policy is one rule, applied by every Require function: a test whose
// requirement is missing skips with the reason, unless the CI environment
// variable is set, in which case it fails with the same reason. CI installs
// everything (see .ci/run), so under CI a missing requirement is a broken
// machine, not a reason to test less.
//
// Every package with tests runs them through [Main]:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// which fails the run when the tests leave file descriptors (files,
// sockets, BPF maps and programs, perf events) or goroutines behind. This
// package's tests check that every package does, and that the imports
// between flamekit's packages follow the one-way rule of docs/design.md.
//
// The README's "Tests" section lists the requirements these functions check
// and which tests need them.
package testenv
