//go:build race

package faults

// raceEnabled reports whether the test binary (and so the intentalert binary
// it builds) runs with the race detector.
const raceEnabled = true
