package c2s

import (
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestElementCost checks that a stanza's elements past freeElements count
// elementCost bytes each against the read allowance: ten messages of 500
// empty elements (2 KB each on the wire) take the time their elements pay
// for, while the same number of ordinary messages of the same size are
// read in the burst. Without the element charge both were.
func TestElementCost(t *testing.T) {
	const rate, burst, cost, n = 10000, 20000, 1000, 10
	// 32 and 64 below are freeElements and elementCost, written out so
	// that the test fails when the charge is gone.
	dense := "<message to='x@localhost'><x xmlns='urn:x'>" + strings.Repeat("<a/>", 500) + "</x></message>"
	for _, tc := range []struct {
		name   string
		stanza string
		elems  int
	}{
		{"ordinary", message(len(dense)), 2},
		{"element-dense", dense, 502},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rs := newRateSession(t, Limits{MaxStanzaBytes: 64 << 10, ReadRate: rate, ReadBurst: burst, StanzaCost: cost})
				start := time.Now()
				go io.WriteString(rs.client, strings.Repeat(tc.stanza, n))
				for rs.stanzas() < n {
					if time.Since(start) > time.Hour {
						t.Fatalf("%d of %d stanzas handled in an hour", rs.stanzas(), n)
					}
					time.Sleep(100 * time.Millisecond)
					synctest.Wait()
				}
				el := time.Since(start)
				per := float64(len(tc.stanza) + cost + max(0, tc.elems-32)*64)
				// The last stanza is handled once read, before its own
				// charge: the allowance pays for n-1 of them after the
				// burst.
				least := time.Duration((float64(n-1)*per - burst - largeIn) / rate * float64(time.Second))
				most := time.Duration(float64(n)*per/rate*float64(time.Second)) + time.Second
				if el < least || el > most {
					t.Errorf("%d stanzas took %v, want between %v and %v", n, el, least, most)
				}
			})
		})
	}
}
