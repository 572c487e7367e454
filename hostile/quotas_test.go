package hostile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// This file attacks the stored-state quotas of issue 11 (package quota):
// each attack pushes one store far past its bound, then checks the error
// the attacker gets, that a witness kept being served throughout, that the
// heap grew by no more than the bound allows, and that it comes back once
// the stored state is consumed or removed.

// quotaEnv is a server in any-password mode with the quotas q.
func quotaEnv(t *testing.T, q quota.Limits) *env {
	return newEnv(t, server.Config{AnyPassword: true, Quotas: q})
}

// flood sends n stanzas made by mk (each with id "q<i>"), then a ping as
// a fence, and returns the errors received before the fence's answer.
func flood(t *testing.T, c *client.Conn, n int, mk func(i int) *xmlnode.Element) []*xmlnode.Element {
	t.Helper()
	for i := range n {
		st := mk(i)
		st.SetAttr("id", fmt.Sprintf("q%d", i))
		must(t, c.Send(st))
	}
	must(t, c.Send(xmlnode.New("jabber:client", "iq", "type", "get", "id", "fence", "to", "localhost").
		Append(xmlnode.New("urn:xmpp:ping", "ping"))))
	var errs []*xmlnode.Element
	for {
		st := recv(t, c)
		if st.Attrib("id") == "fence" {
			return errs
		}
		if st.Attrib("type") == "error" {
			errs = append(errs, st)
		}
	}
}

// wantRefusals checks that some of the flood, but not all, was refused
// with typ/cond.
func wantRefusals(t *testing.T, errs []*xmlnode.Element, n int, typ, cond string) {
	t.Helper()
	if len(errs) == 0 || len(errs) >= n {
		t.Fatalf("%d of %d stanzas refused, want some but not all", len(errs), n)
	}
	wantStanzaError(t, errs[0], typ, cond)
	t.Logf("%d of %d refused with %s/%s", len(errs), n, typ, cond)
}

// wantGrowth fails when the heap grew more than bound (and slack) during
// the attack: the quota held.
func wantGrowth(t *testing.T, base uint64, bound int) uint64 {
	t.Helper()
	now := heapBaseline()
	if now > base+uint64(bound)+heapSlack {
		t.Errorf("heap grew %.1f MB, the quota allows %.1f MB", mb(now-base), mb(uint64(bound)))
	}
	return now
}

func chat(to, body string) *xmlnode.Element {
	m := xmlnode.New("jabber:client", "message", "type", "chat", "to", to)
	m.AddChild("jabber:client", "body").SetText(body)
	return m
}

func iqSet(payload *xmlnode.Element) *xmlnode.Element {
	return xmlnode.New("jabber:client", "iq", "type", "set").Append(payload)
}

// TestOfflineQuotaFlood: 100 messages of 16 KiB (1.6 MB) for one account
// that is offline; the store keeps OfflineBytes (1 MiB: 64 of them) and
// bounces the rest resource-constraint (wait); the heap comes back once it
// logs in. Past the quota is all a flood needs to be: the refusals, the
// heap bound and the delivery count do not grow with it.
func TestOfflineQuotaFlood(t *testing.T) {
	e := quotaEnv(t, quota.Limits{OfflineBytes: 1 << 20})
	w := e.watch("watcher")
	base := heapBaseline()
	eve := e.dial("eve", "hose")
	big := strings.Repeat("z", 16<<10)
	const n = 100
	errs := flood(t, eve, n, func(int) *xmlnode.Element { return chat("sleeper@localhost", big) })
	wantRefusals(t, errs, n, "wait", "resource-constraint")
	peak := wantGrowth(t, base, 3<<20)
	sleeper := e.dial("sleeper", "s")
	must(t, sleeper.Send(xmlnode.New("jabber:client", "presence")))
	got := 0
	for got < n-len(errs) {
		if st := recv(t, sleeper); st.Name.Local == "message" {
			got++
		}
	}
	_ = sleeper.Close()
	_ = eve.Close()
	e.checkWitnesses()
	w.finish()
	e.heapBack(base, peak)
}

// TestOfflineToManyNames: 16 KiB messages to 100 names nobody has used
// (1.6 MB); OfflineTotalBytes (here 1 MiB) bounds them all together, and
// stanzas that store nothing (pings, probes) leave no account behind.
func TestOfflineToManyNames(t *testing.T) {
	e := quotaEnv(t, quota.Limits{OfflineTotalBytes: 1 << 20})
	w := e.watch("watcher")
	base := heapBaseline()
	eve := e.dial("eve", "hose")
	big := strings.Repeat("z", 16<<10)
	const n = 100
	errs := flood(t, eve, n, func(i int) *xmlnode.Element { return chat(fmt.Sprintf("n%d@localhost", i), big) })
	wantRefusals(t, errs, n, "wait", "resource-constraint")
	wantGrowth(t, base, 3<<20)
	flood(t, eve, 2000, func(i int) *xmlnode.Element {
		return xmlnode.New("jabber:client", "presence", "type", "probe", "to", fmt.Sprintf("p%d@localhost", i))
	})
	_ = eve.Close()
	e.checkWitnesses()
	w.finish()
}

// TestPrivateXMLFlood: 100 private XML elements of 16 KiB (1.6 MB);
// PrivateBytes (1 MiB) holds, the rest get resource-constraint (wait), an element over
// PrivateItemBytes not-acceptable; removing them gives the memory back.
func TestPrivateXMLFlood(t *testing.T) {
	e := quotaEnv(t, quota.Limits{PrivateBytes: 1 << 20, PrivateItemBytes: 64 << 10})
	w := e.watch("watcher")
	base := heapBaseline()
	eve := e.dial("eve", "hose")
	big := strings.Repeat("z", 16<<10)
	const n = 100
	el := func(i int, text string) *xmlnode.Element {
		q := xmlnode.New("jabber:iq:private", "query")
		q.AddChild("x:attack", fmt.Sprintf("e%d", i)).SetText(text)
		return iqSet(q)
	}
	errs := flood(t, eve, n, func(i int) *xmlnode.Element { return el(i, big) })
	wantRefusals(t, errs, n, "wait", "resource-constraint")
	peak := wantGrowth(t, base, 3<<20)
	tooBig := flood(t, eve, 1, func(int) *xmlnode.Element { return el(999, strings.Repeat("z", 100<<10)) })
	if len(tooBig) != 1 {
		t.Fatalf("an element of 100 KiB was not refused")
	}
	wantStanzaError(t, tooBig[0], "modify", "not-acceptable")
	flood(t, eve, n, func(i int) *xmlnode.Element { return el(i, "") })
	_ = eve.Close()
	e.checkWitnesses()
	w.finish()
	e.heapBack(base, peak)
}

// TestRosterFlood: roster sets past RosterItems get resource-constraint
// (wait), and a roster get at the quota is one bounded stanza.
func TestRosterFlood(t *testing.T) {
	e := quotaEnv(t, quota.Limits{RosterItems: 300})
	w := e.watch("watcher")
	base := heapBaseline()
	eve := e.dial("eve", "hose")
	name := strings.Repeat("n", 1000)
	const n = 500
	errs := flood(t, eve, n, func(i int) *xmlnode.Element {
		q := xmlnode.New("jabber:iq:roster", "query")
		q.AddChild("jabber:iq:roster", "item", "jid", fmt.Sprintf("c%d@example.com", i), "name", name)
		return iqSet(q)
	})
	wantRefusals(t, errs, n, "wait", "resource-constraint")
	if len(errs) != n-300 {
		t.Errorf("%d roster sets refused, want %d", len(errs), n-300)
	}
	peak := wantGrowth(t, base, 3<<20)
	must(t, eve.Send(xmlnode.New("jabber:client", "iq", "type", "get", "id", "r").Append(xmlnode.New("jabber:iq:roster", "query"))))
	for {
		st := recv(t, eve)
		if st.Attrib("id") == "r" {
			if items := len(st.Child("jabber:iq:roster", "query").Elements()); items != 300 {
				t.Fatalf("roster get: %d items, want 300", items)
			}
			break
		}
	}
	flood(t, eve, 300, func(i int) *xmlnode.Element {
		q := xmlnode.New("jabber:iq:roster", "query")
		q.AddChild("jabber:iq:roster", "item", "jid", fmt.Sprintf("c%d@example.com", i), "subscription", "remove")
		return iqSet(q)
	})
	_ = eve.Close()
	e.checkWitnesses()
	w.finish()
	e.heapBack(base, peak)
}

// TestBlocklistFlood: block requests of 500 JIDs each past BlocklistItems
// get resource-constraint (wait); every other stanza eve sends is checked
// against the full list by lookups, not scans.
func TestBlocklistFlood(t *testing.T) {
	e := quotaEnv(t, quota.Limits{})
	w := e.watch("watcher")
	base := heapBaseline()
	eve := e.dial("eve", "hose")
	const n = 10
	errs := flood(t, eve, n, func(i int) *xmlnode.Element {
		b := xmlnode.New("urn:xmpp:blocking", "block")
		for j := range 500 {
			b.AddChild("urn:xmpp:blocking", "item", "jid", fmt.Sprintf("u%d-%d@example.com", i, j))
		}
		return iqSet(b)
	})
	wantRefusals(t, errs, n, "wait", "resource-constraint")
	peak := wantGrowth(t, base, 1<<20)
	flood(t, eve, 2000, func(i int) *xmlnode.Element { return chat(fmt.Sprintf("watcher@localhost/x%d", i), "x") })
	flood(t, eve, 1, func(int) *xmlnode.Element { return iqSet(xmlnode.New("urn:xmpp:blocking", "unblock")) })
	_ = eve.Close()
	e.checkWitnesses()
	w.finish()
	e.heapBack(base, peak)
}

// TestResourceFlood: binding more resources than Resources gets
// resource-constraint (cancel) at bind; the account's sessions stay.
func TestResourceFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := quotaEnv(t, quota.Limits{Resources: 5})
	w := e.watch("watcher")
	for i := range 5 {
		e.dial("eve", fmt.Sprintf("r%d", i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	_, err := client.Dial(ctx, e.srv.Addr().String(), client.Config{
		JID: "eve@localhost", Password: password, Resource: "r9", Mechanism: "PLAIN", Timeout: testTimeout,
	})
	if err == nil || !strings.Contains(err.Error(), "resource-constraint") {
		t.Fatalf("sixth bind: %v, want a resource-constraint error", err)
	}
	e.checkWitnesses()
	w.finish()
}

// TestAccountCreationFlood: any-password logins under new names past
// AccountsPerIPPerMinute fail (not-authorized); existing accounts still
// log in.
func TestAccountCreationFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := quotaEnv(t, quota.Limits{AccountsPerIPPerMinute: 10})
	w := e.watch("watcher")
	refused := 0
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		c, err := client.Dial(ctx, e.srv.Addr().String(), client.Config{
			JID: fmt.Sprintf("new%d@localhost", i), Password: password, Resource: "r", Mechanism: "PLAIN", Timeout: testTimeout,
		})
		cancel()
		if err != nil {
			refused++
			if !strings.Contains(err.Error(), "not-authorized") {
				t.Errorf("login %d: %v, want not-authorized", i, err)
			}
			continue
		}
		_ = c.Close()
	}
	// alice, bob and the watcher came from the same address this minute.
	if refused != 13 {
		t.Errorf("%d of 20 new accounts refused, want 13", refused)
	}
	e.dial("alice", "again")
	e.checkWitnesses()
	w.finish()
}

// TestRoomCreationFlood: creating rooms past MUCRooms gets
// resource-constraint (wait) from the service, as Prosody's mod_muc answers
// when it cannot track one more room; existing rooms keep working.
func TestRoomCreationFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := quotaEnv(t, quota.Limits{MUCRooms: 20})
	w := e.watch("watcher")
	eve := e.dial("eve", "hose")
	const n = 50
	errs := flood(t, eve, n, func(i int) *xmlnode.Element {
		p := xmlnode.New("jabber:client", "presence", "to", fmt.Sprintf("r%d@conference.localhost/eve", i))
		p.AddChild("http://jabber.org/protocol/muc", "x")
		return p
	})
	wantRefusals(t, errs, n, "wait", "resource-constraint")
	if len(errs) != n-20 {
		t.Errorf("%d room creations refused, want %d", len(errs), n-20)
	}
	_ = eve.Close()
	e.checkWitnesses()
	w.finish()
}

// TestVCardFlood: vCards over VCardBytes get not-acceptable and leave the
// stored one in place, however many are sent.
func TestVCardFlood(t *testing.T) {
	e := quotaEnv(t, quota.Limits{VCardBytes: 64 << 10})
	w := e.watch("watcher")
	base := heapBaseline()
	eve := e.dial("eve", "hose")
	card := func(text string) *xmlnode.Element {
		v := xmlnode.New("vcard-temp", "vCard")
		v.AddChild("vcard-temp", "DESC").SetText(text)
		return iqSet(v)
	}
	if errs := flood(t, eve, 1, func(int) *xmlnode.Element { return card("me") }); len(errs) != 0 {
		t.Fatalf("a small vCard was refused: %v", errs[0])
	}
	big := strings.Repeat("z", 100<<10)
	const n = 10 // 1 MB: each one over VCardBytes by itself
	errs := flood(t, eve, n, func(int) *xmlnode.Element { return card(big) })
	if len(errs) != n {
		t.Fatalf("%d of %d vCards over the quota refused", len(errs), n)
	}
	wantStanzaError(t, errs[0], "modify", "not-acceptable")
	must(t, eve.Send(xmlnode.New("jabber:client", "iq", "type", "get", "id", "v").Append(xmlnode.New("vcard-temp", "vCard"))))
	for {
		st := recv(t, eve)
		if st.Attrib("id") == "v" {
			if got := st.Child("vcard-temp", "vCard").ChildText("vcard-temp", "DESC"); got != "me" {
				t.Fatalf("stored vCard lost: DESC %q", got)
			}
			break
		}
	}
	peak := wantGrowth(t, base, 1<<20)
	_ = eve.Close()
	e.checkWitnesses()
	w.finish()
	e.heapBack(base, peak)
}

// TestPendingSubscriptionFlood: subscription requests from many accounts
// to one that is offline; RosterPending are kept for it, the rest are
// answered resource-constraint (wait), and the kept ones are delivered.
func TestPendingSubscriptionFlood(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := quotaEnv(t, quota.Limits{RosterPending: 10})
	w := e.watch("watcher")
	refused := 0
	for i := range 20 {
		c := e.dial(fmt.Sprintf("fan%d", i), "r")
		must(t, c.Send(xmlnode.New("jabber:client", "presence")))
		must(t, c.Send(xmlnode.New("jabber:client", "presence", "type", "subscribe", "to", "star@localhost")))
		for _, st := range flood(t, c, 0, nil) {
			if st.Name.Local == "presence" {
				wantStanzaError(t, st, "wait", "resource-constraint")
				refused++
			}
		}
		_ = c.Close()
	}
	if refused != 10 {
		t.Errorf("%d of 20 requests refused, want 10", refused)
	}
	star := e.dial("star", "s")
	must(t, star.Send(xmlnode.New("jabber:client", "presence")))
	got := 0
	for got < 10 {
		if st := recv(t, star); st.Attrib("type") == "subscribe" {
			got++
		}
	}
	e.checkWitnesses()
	w.finish()
}
