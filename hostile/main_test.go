package hostile_test

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// parallelAttacks is how many parallel tests run at once unless -parallel
// is given (doc.go). go test's default, GOMAXPROCS, is two on a two-core
// machine, yet the parallel attacks spend most of their time waiting out
// the timeouts and rate limits they attack (TestIdleTimeout,
// TestReadRateFlood, TestSlowReader, ...), not on a core: two at a time,
// those waits added up.
const parallelAttacks = 8

// TestMain runs the tests with -parallel at parallelAttacks unless the
// command line gives it.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		if err := flag.Set("test.parallel", strconv.Itoa(parallelAttacks)); err != nil {
			fmt.Fprintln(os.Stderr, "hostile:", err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}
