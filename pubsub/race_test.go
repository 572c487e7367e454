//go:build race

package pubsub

// raceEnabled makes the memory tests lighter under the race detector.
const raceEnabled = true
