//go:build race

package xmlnode

// raceEnabled makes the memory and round-trip tests lighter under the race
// detector, which slows every parse tenfold.
const raceEnabled = true
