//go:build race

package muc

// raceEnabled makes the memory tests lighter under the race detector.
const raceEnabled = true
