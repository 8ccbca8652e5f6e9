// Package testenv is what flamekit's tests share about the machine they run
// on: whether a requirement (root, a tool, Chromium, perf_event access) is
// met, and what to do when it is not.
//
// The policy is one rule, applied by every Require function: a test whose
// requirement is missing skips with the reason, unless the CI environment
// variable is set, in which case it fails with the same reason. CI installs
// everything (see .ci/run), so under CI a missing requirement is a broken
// machine, not a reason to test less.
//
// The README's "Tests" section lists the requirements these functions check
// and which tests need them.
package testenv
