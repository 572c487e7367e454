//go:build !race

package muc

const raceEnabled = false
