//go:build !race

package xmlnode

const raceEnabled = false
