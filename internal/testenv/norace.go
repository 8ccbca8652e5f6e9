//go:build !race

package testenv

// RaceEnabled reports whether the race detector is on. It changes what a
// test allocates (sync.Pool drops states; instrumentation allocates), so
// tests that measure allocations skip under it.
const RaceEnabled = false
