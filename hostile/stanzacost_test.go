package hostile_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/server"
)

// TestStanzaCostFlood is issue 11's CPU flood of tiny stanzas (mucattack's
// upload-slot-flood, ping floods): mallory pipelines pings, each far
// smaller than what handling it costs. Each must count c2s.Limits
// .StanzaCost bytes against her allowance besides its size, so that the
// server answers her no faster than the allowance pays for, without
// refusing or disconnecting her (every ping is answered in the end), and
// the witnesses keep being served throughout. The bound is on counts: the
// pongs she has after any time t are at most what the burst and t at the
// rate pay for, plus one read buffer's worth, whatever the machine's
// speed.
func TestStanzaCostFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	const rate, burst, cost, n = 2 << 20, 16 << 10, 4 << 10, 150
	e := newEnv(t, server.Config{Limits: c2s.Limits{ReadRate: rate, ReadBurst: burst, StanzaCost: cost}})
	mallory := dialRaw(t, e.srv)
	mallory.login("mallory")
	_ = mallory.Conn.SetDeadline(time.Now().Add(testTimeout))

	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<iq type='get' id='p%d'><ping xmlns='urn:xmpp:ping'/></iq>", i)
	}
	size := float64(b.Len()) / n
	per := size + cost
	// A read buffer (4 KiB) of pings is handled before the allowance is
	// looked at again, and the login's bytes counted too.
	overshoot := int(4096/size) + 1
	stop := e.keepWitnessesTalking()
	start := time.Now()
	mallory.sendBackground([]byte(b.String()))
	for got := 0; got < n; {
		el, err := mallory.TryNext()
		if err != nil {
			t.Fatalf("mallory after %d pongs: %v", got, err)
		}
		if el.Name.Local != "iq" {
			continue
		}
		if el.Attrib("type") != "result" || el.Attrib("id") != fmt.Sprintf("p%d", got) {
			t.Fatalf("mallory's pong %d: got %s", got, el)
		}
		got++
		if allowed := int((burst+time.Since(start).Seconds()*rate)/per) + overshoot; got > allowed {
			t.Fatalf("after %v mallory had %d pongs, over the %d her allowance pays for at %d bytes a stanza", time.Since(start), got, allowed, int(per))
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("witnesses during the flood: %v", err)
	}
	e.checkWitnesses()
}
