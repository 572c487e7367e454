package record

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"
)

func TestMain(m *testing.M) {
	flag.Parse()
	raiseParallel()
	os.Exit(m.Run())
}

// sessionParallel is how many of the package's tests run at once unless
// -parallel says otherwise: the four recorded sessions (two client
// libraries, in front of our server and of Prosody) together.
const sessionParallel = 4

// raiseParallel lifts the default -parallel (GOMAXPROCS) to
// sessionParallel unless -parallel was given. A recorded session's work is
// done by other processes (python3, node, Prosody) that the limit does not
// count: its test mostly waits for them, so two at a time on two cores
// left the cores idle.
func raiseParallel() {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if set || runtime.GOMAXPROCS(0) >= sessionParallel {
		return
	}
	if err := flag.Set("test.parallel", fmt.Sprint(sessionParallel)); err != nil {
		panic(err) // the flag is the testing package's own
	}
}
