package router_test

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// subscribedContacts logs in alice and n contacts, each available and
// subscribed to alice's presence both ways, in roster order.
func subscribedContacts(t testing.TB, s *moduletest.Server, n int) (*moduletest.Client, []*moduletest.Client) {
	t.Helper()
	alice := s.Login("alice@localhost/a")
	alice.Send(`<presence/>`)
	contacts := make([]*moduletest.Client, n)
	for i := range contacts {
		cj := "c" + strconv.Itoa(i) + "@localhost"
		c := s.Login(cj + "/r")
		contacts[i] = c
		c.Send(`<presence/>`)
		alice.Send(`<iq type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="` + cj + `"/></query></iq>`)
		alice.Send(`<presence type="subscribe" to="` + cj + `"/>`)
		c.Send(`<presence type="subscribed" to="alice@localhost"/>`)
		c.Send(`<presence type="subscribe" to="alice@localhost"/>`)
		alice.Send(`<presence type="subscribed" to="` + cj + `"/>`)
		c.Received()
	}
	alice.Received()
	return alice, contacts
}

// interleaver is a module whose presence hook, on alice's broadcast
// reaching c0 (the first of its spans), leaves a function for a span of
// its own: what other stanzas routed between the broadcast's spans do.
func interleaver(later func(c module.Context)) module.Module {
	return module.New("interleaver", func(r *module.Registrar) error {
		r.OnPresenceDelivered(module.After, func(c module.Context, ev *module.Delivered) bool {
			if ev.Account.Name() == "c0" && ev.Stanza.Attrib("from") == "alice@localhost/a" && ev.Stanza.ChildText("", "show") == "away" {
				c.Later(later)
			}
			return false
		})
		return nil
	})
}

// TestBroadcastOrder: a presence broadcast to more contacts than one
// span delivers (router/broadcast.go) still reaches every contact before
// the sender's next stanza to it, and the sender gets its presence back
// after every contact had it (the order RFC 6120 section 10.1 and a
// single span give), while another sender's stanza routed between the
// spans (bob's message to the last contact) keeps its own order.
func TestBroadcastOrder(t *testing.T) {
	const n = 100 // several spans
	var bob string
	mod := interleaver(func(c module.Context) {
		m := xmlnode.New("jabber:client", "message", "type", "chat", "from", bob, "to", "c99@localhost/r")
		m.AddChild("jabber:client", "body").SetText("between the spans")
		c.Route(m)
	})
	s := moduletest.New(t, roster.Module{}, mod)
	alice, contacts := subscribedContacts(t, s, n)
	bob = s.Login("bob@localhost/b").JID.String()
	alice.Send(`<presence><show>away</show></presence>`)
	for i := range contacts {
		alice.Send(`<message type="chat" to="c` + strconv.Itoa(i) + `@localhost/r"><body>after</body></message>`)
	}
	alice.Expect(`<presence from="alice@localhost/a"><show>away</show></presence>`)
	for i, c := range contacts {
		got := c.Received()
		var kinds []string
		for _, el := range got {
			kinds = append(kinds, el.Name.Local+" from "+el.Attrib("from"))
		}
		want := []string{"presence from alice@localhost/a", "message from alice@localhost/a"}
		if i == n-1 {
			// Bob's message was routed in a span between alice's: it
			// came first, and alice's two stanzas still in order.
			want = append([]string{"message from " + bob}, want...)
		}
		if len(kinds) != len(want) {
			t.Fatalf("c%d got %v, want %v", i, kinds, want)
		}
		for k := range want {
			if kinds[k] != want[k] {
				t.Fatalf("c%d got %v, want %v", i, kinds, want)
			}
		}
	}
}

// TestBroadcastCaughtUp: when the sender's session is ended between the
// spans of its broadcast (an admin's EndSession, a session replacing
// it), the broadcast is finished first, in that span: every contact
// gets the available presence and then the unavailable, never the
// other way round nor the available alone.
func TestBroadcastCaughtUp(t *testing.T) {
	const n = 100
	mod := interleaver(func(c module.Context) {
		module.Accounts(c).EndSession(c.Account("alice").Session("a"), "ended")
	})
	s := moduletest.New(t, roster.Module{}, mod)
	a, contacts := subscribedContacts(t, s, n)
	a.Send(`<presence><show>away</show></presence>`)
	for i, c := range contacts {
		got := c.Received()
		if len(got) != 2 || got[0].Attrib("type") != "" || got[1].Attrib("type") != "unavailable" {
			t.Fatalf("c%d got %v, want the available presence then the unavailable", i, got)
		}
	}
}

// TestInitialPresenceOrder: an initial presence whose broadcast and
// probes take several spans each gives the sender what one span gave,
// in the same order: its presence back, then its contacts' presences
// (the probes' answers, in roster order), then its other resource's
// presence, then the subscription request that waited for it.
func TestInitialPresenceOrder(t *testing.T) {
	const n = 100
	s := moduletest.New(t, roster.Module{})
	b, contacts := subscribedContacts(t, s, n) // alice/a here
	dave := s.Login("dave@localhost/d")
	dave.Send(`<presence type="subscribe" to="alice@localhost"/>`)
	b.Received()
	a := s.Login("alice@localhost/new")
	a.Send(`<presence/>`)
	got := a.Received()
	var froms []string
	for _, el := range got {
		froms = append(froms, el.Attrib("type")+" "+el.Attrib("from"))
	}
	want := []string{" alice@localhost/new"}
	for i := range contacts {
		want = append(want, " c"+strconv.Itoa(i)+"@localhost/r")
	}
	want = append(want, " alice@localhost/a", "subscribe dave@localhost")
	if len(froms) != len(want) {
		t.Fatalf("got %d stanzas %v, want %d %v", len(froms), froms, len(want), want)
	}
	for i := range want {
		if froms[i] != want[i] {
			t.Fatalf("stanza %d is %q, want %q; got %v", i, froms[i], want[i], froms)
		}
	}
}

// TestBroadcastPanicLater: a contact's hook that panics in a later span
// of a broadcast costs that contact its presence only: the others get
// theirs, the sender its presence back, and the sender's next stanza is
// routed as usual.
func TestBroadcastPanicLater(t *testing.T) {
	const n = 100
	bad := module.New("bad", func(r *module.Registrar) error {
		r.OnPresenceDelivered(module.After, func(_ module.Context, ev *module.Delivered) bool {
			if ev.Account.Name() == "c40" && ev.Stanza.ChildText("", "show") == "away" {
				panic("hook bug")
			}
			return false
		})
		return nil
	})
	s := moduletest.New(t, roster.Module{}, bad)
	alice, contacts := subscribedContacts(t, s, n)
	alice.Send(`<presence><show>away</show></presence>`)
	alice.Expect(`<presence from="alice@localhost/a"><show>away</show></presence>`)
	for i, c := range contacts {
		got := c.Received()
		if len(got) != 1 || got[0].ChildText("", "show") != "away" {
			t.Fatalf("c%d got %v, want the presence", i, got) // c40 too: the hook runs after delivery
		}
	}
	alice.Send(`<message type="chat" to="c41@localhost/r"><body>still here</body></message>`)
	contacts[41].Expect(`<message type="chat" from="alice@localhost/a"><body>still here</body></message>`)
}

// TestBroadcastDrainedInSpans: a session that replaces one whose
// broadcast is unfinished (a client reconnecting with the same
// resource) first finishes that broadcast in spans of its own
// (drainBroadcast), not in one: no span delivers more than a chunk of
// contacts, and every contact gets the available presence, then the
// unavailable of the replaced session.
func TestBroadcastDrainedInSpans(t *testing.T) {
	const n = 100
	started, release := make(chan struct{}), make(chan struct{})
	var delivered, most int
	mod := module.New("pause", func(r *module.Registrar) error {
		r.OnPresenceDelivered(module.After, func(c module.Context, ev *module.Delivered) bool {
			delivered++
			if ev.Account.Name() == "c0" && ev.Stanza.ChildText("", "show") == "away" {
				// Between the broadcast's first span and its second,
				// without the lock: where the reconnect comes in.
				c.RouteLater(nil, func() *xmlnode.Element {
					close(started)
					<-release
					return nil
				})
			}
			return false
		})
		return nil
	})
	s := moduletest.New(t, roster.Module{}, mod)
	alice, contacts := subscribedContacts(t, s, n)
	observing := false
	s.Router.ObserveLock(func(held bool) {
		if !observing {
			return
		}
		if held {
			delivered = 0
		} else {
			most = max(most, delivered)
		}
	})
	observing = true
	done := make(chan struct{})
	go func() {
		defer close(done)
		alice.Send(`<presence><show>away</show></presence>`)
	}()
	<-started
	s.Login("alice@localhost/a") // replaces alice's session
	close(release)
	<-done
	observing = false
	if most > 32 {
		t.Errorf("a span delivered %d presences, want at most a chunk of 32", most)
	}
	for i, c := range contacts {
		got := c.Received()
		if len(got) != 2 || got[0].Attrib("type") != "" || got[1].Attrib("type") != "unavailable" {
			t.Fatalf("c%d got %v, want the available presence then the unavailable", i, got)
		}
	}
}

// TestBroadcastFollowsSubscriptions: the subscribers a broadcast reaches
// are those of the moment (mod/roster keeps them between changes): a
// contact that unsubscribed gets nothing more, one that subscribed
// since gets the next.
func TestBroadcastFollowsSubscriptions(t *testing.T) {
	s := moduletest.New(t, roster.Module{})
	alice, contacts := subscribedContacts(t, s, 3)
	alice.Send(`<presence><show>away</show></presence>`) // the subscribers are known
	for _, c := range contacts {
		c.Received()
	}
	contacts[1].Send(`<presence type="unsubscribe" to="alice@localhost"/>`)
	dave := s.Login("dave@localhost/d")
	dave.Send(`<presence/>`)
	dave.Send(`<presence type="subscribe" to="alice@localhost"/>`)
	alice.Send(`<presence type="subscribed" to="dave@localhost"/>`)
	alice.Received()
	dave.Received()
	for _, c := range contacts {
		c.Received()
	}
	alice.Send(`<presence><show>dnd</show></presence>`)
	for i, c := range append(contacts, dave) {
		got := c.Received()
		if want := i != 1; (len(got) == 1) != want {
			t.Errorf("contact %d got %v, want the presence: %v", i, got, want)
		}
	}
}
