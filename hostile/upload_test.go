package hostile_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/upload"
)

// TestUploadSlotFlood is mucattack's upload-slot-flood from one client:
// mallory pipelines XEP-0363 slot requests as fast as she can write them.
// The first of her account's burst get slots, every one after it is
// refused wait/resource-constraint with a <retry/> stamp (XEP-0363
// section 5), none is left unanswered, and the witnesses keep being
// served throughout. Then eve, another account from the same address,
// gets only what is left of the address's burst. The limits' intervals
// are an hour, so no token comes back while the test runs, however slow
// the machine.
func TestUploadSlotFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	const acctBurst, addrBurst, flood = 5, 8, 200
	e := newEnv(t, server.Config{Services: server.Services{Upload: upload.Config{
		RequestLimit:     upload.RateLimit{Burst: acctBurst, Every: time.Hour},
		AddrRequestLimit: upload.RateLimit{Burst: addrBurst, Every: time.Hour},
	}}})
	start := time.Now()
	requests := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "<iq type='get' id='%s%d' to='upload.localhost'><request xmlns='%s' filename='f%d.bin' size='1000' content-type='application/octet-stream'/></iq>", prefix, i, upload.NS, i)
		}
		return b.String()
	}
	// answers reads n replies to ids prefix0..prefix<n-1>, in order, and
	// returns how many were slots; every other one must be the refusal.
	answers := func(who string, r *raw, prefix string, n int) (slots int) {
		t.Helper()
		for i := 0; i < n; {
			el, err := r.TryNext()
			if err != nil {
				t.Fatalf("%s after %d answers: %v", who, i, err)
			}
			if el.Name.Local != "iq" {
				continue
			}
			if id := fmt.Sprintf("%s%d", prefix, i); el.Attrib("id") != id {
				t.Fatalf("%s: want the answer to %s, got %s", who, id, el)
			}
			i++
			if el.Attrib("type") == "result" && el.Child(upload.NS, "slot") != nil {
				if slots != i-1 {
					t.Fatalf("%s: a slot after a refusal: %s", who, el)
				}
				slots++
				continue
			}
			wantStanzaError(t, el, "wait", "resource-constraint")
			retry := el.Child("jabber:client", "error").Child(upload.NS, "retry")
			if retry == nil {
				t.Fatalf("%s: refusal without <retry/>: %s", who, el)
			}
			at, err := time.Parse(time.RFC3339, retry.Attrib("stamp"))
			if err != nil || !at.After(start) {
				t.Fatalf("%s: retry stamp %q: want a time after the flood began (%v)", who, retry.Attrib("stamp"), err)
			}
		}
		return slots
	}

	mallory := dialRaw(t, e.srv)
	mallory.login("mallory")
	_ = mallory.Conn.SetDeadline(time.Now().Add(testTimeout))
	stop := e.keepWitnessesTalking()
	mallory.sendBackground([]byte(requests("m", flood)))
	got := answers("mallory", mallory, "m", flood)
	if err := stop(); err != nil {
		t.Fatalf("witnesses during the flood: %v", err)
	}
	if got != acctBurst {
		t.Fatalf("mallory got %d slots of %d requests, want her account's burst of %d", got, flood, acctBurst)
	}

	eve := dialRaw(t, e.srv)
	eve.login("eve")
	_ = eve.Conn.SetDeadline(time.Now().Add(testTimeout))
	eve.Send(requests("e", acctBurst))
	if got := answers("eve", eve, "e", acctBurst); got != addrBurst-acctBurst {
		t.Fatalf("eve, from mallory's address, got %d slots, want the %d left of its burst", got, addrBurst-acctBurst)
	}

	// Still served, not disconnected, and the witnesses too.
	mallory.Send("<iq type='get' id='alive'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := mallory.Next(); el.Attrib("id") != "alive" || el.Attrib("type") != "result" {
		t.Fatalf("mallory's ping after the flood: %s", el)
	}
	e.checkWitnesses()
}
