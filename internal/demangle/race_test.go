//go:build race

package demangle

// raceEnabled reports whether the race detector is on: it makes sync.Pool
// drop states, so allocations are not measured then.
const raceEnabled = true
