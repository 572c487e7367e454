package c2s

import (
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestStanzaCostFlood checks that each stanza counts StanzaCost bytes
// against the read allowance besides its size: a flood of tiny stanzas is
// handled at about ReadRate/(size+StanzaCost) stanzas a second after the
// burst, never faster than the allowance and one read buffer allow, every
// stanza arrives in the end, and with StanzaCost zero the same flood is
// held to its bytes only.
func TestStanzaCostFlood(t *testing.T) {
	const rate, burst, size, n = 10000, 20000, 100, 300
	tests := []struct {
		name string
		cost int64
	}{
		{"bytes only", 0},
		{"a kilobyte a stanza", 1000},
		{"more than the burst", 30000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				waits := hookWaits(t)
				rs := newRateSession(t, Limits{MaxStanzaBytes: 8192, ReadRate: rate, ReadBurst: burst, StanzaCost: tc.cost})
				start := time.Now()
				per := float64(size + tc.cost)
				go io.WriteString(rs.client, strings.Repeat(message(size), n))
				// Look every tenth of a second: never more stanzas than
				// the allowance pays for, plus those of the read over it.
				overshoot := largeIn/size + 1
				for rs.stanzas() < n {
					time.Sleep(100 * time.Millisecond)
					synctest.Wait()
					el := time.Since(start)
					allowed := int((burst+el.Seconds()*rate)/per) + overshoot
					if got := rs.stanzas(); got > allowed {
						t.Fatalf("after %v handled %d stanzas, over the %d the allowance pays for", el, got, allowed)
					}
				}
				el := time.Since(start)
				total := float64(n) * per
				least := time.Duration((total - burst - float64(overshoot)*per) / rate * float64(time.Second))
				most := time.Duration(total/rate*float64(time.Second)) + time.Second
				if el < least || el > most {
					t.Errorf("%d stanzas took %v, want between %v and %v", n, el, least, most)
				}
				if waits.n() == 0 {
					t.Error("the flood never waited")
				}
				if n, neg := rs.busy.get(); n != 0 || neg {
					t.Errorf("busy count %d (went negative: %v), want 0", n, neg)
				}
			})
		})
	}
}

// TestStanzaCostNormalTraffic checks that a client's ordinary stanzas
// never wait with the cost mucd sets: a login's worth at once (50
// stanzas) and then a chat's pace, two a second for a minute.
func TestStanzaCostNormalTraffic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		waits := hookWaits(t)
		rs := newRateSession(t, Limits{ReadRate: DefaultReadRate, StanzaCost: DefaultStanzaCost})
		start := time.Now()
		msg := message(300)
		go io.WriteString(rs.client, strings.Repeat(msg, 50))
		synctest.Wait()
		if got := rs.stanzas(); got != 50 {
			t.Fatalf("host got %d of the burst's 50 stanzas", got)
		}
		for range 60 {
			time.Sleep(time.Second)
			go io.WriteString(rs.client, msg+msg)
			synctest.Wait()
		}
		if got, want := rs.stanzas(), 50+60*2; got != want {
			t.Fatalf("host got %d stanzas, want %d", got, want)
		}
		if waits.n() != 0 {
			t.Errorf("normal traffic waited %d times: %v", waits.n(), waits)
		}
		if el := time.Since(start); el != 60*time.Second {
			t.Errorf("took %v of the test's clock, want exactly the minute of chat", el)
		}
	})
}
