package sm_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/mod/sm"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// client is a raw connection with the XEP-0198 bookkeeping a client does:
// h counts the stanzas it has read.
type client struct {
	*servertest.Raw
	t    testing.TB
	srv  *server.Server
	user string
	h    int
}

func login(t testing.TB, srv *server.Server, user, resource string) *client {
	t.Helper()
	c := &client{Raw: servertest.DialRaw(t, srv), t: t, srv: srv, user: user}
	c.Login(user, "pw", resource)
	return c
}

// next reads the next element, counting stanzas and answering <r/>.
func (c *client) next() *xmlnode.Element {
	c.t.Helper()
	for {
		el := c.Next()
		switch {
		case el.Name.Space == sm.NS && el.Name.Local == "r":
			c.Send(fmt.Sprintf("<a xmlns='urn:xmpp:sm:3' h='%d'/>", c.h))
			continue
		case el.Name.Space == "jabber:client":
			c.h++
		}
		return el
	}
}

// ackAnswer reads up to the server's <a/>, answering its <r/>.
func (c *client) ackAnswer() *xmlnode.Element {
	c.t.Helper()
	for {
		el := c.Next()
		if el.Name.Space == sm.NS && el.Name.Local == "r" {
			c.Send(fmt.Sprintf("<a xmlns='urn:xmpp:sm:3' h='%d'/>", c.h))
			continue
		}
		if el.Name.Space != sm.NS || el.Name.Local != "a" {
			c.t.Fatalf("want <a/>, got %s", el)
		}
		return el
	}
}

// until reads up to the element pred accepts.
func (c *client) until(pred func(*xmlnode.Element) bool) {
	c.t.Helper()
	for !pred(c.next()) {
	}
}

func (c *client) enable(resume bool) *xmlnode.Element {
	c.t.Helper()
	if resume {
		c.Send(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`)
	} else {
		c.Send(`<enable xmlns='urn:xmpp:sm:3'/>`)
	}
	el := c.Next()
	if el.Name.Local != "enabled" {
		c.t.Fatalf("enable: got %s", el)
	}
	return el
}

// reconnect opens a new connection for the same account up to the point
// where <resume/> may be sent, keeping h.
func (c *client) reconnect() *xmlnode.Element {
	c.t.Helper()
	_ = c.Conn.Close()
	return c.dial()
}

// dial opens a new connection for the same account, leaving the old one
// as it is.
func (c *client) dial() *xmlnode.Element {
	c.t.Helper()
	n := servertest.DialRaw(c.t, c.srv)
	c.Raw = n
	n.Open(servertest.StreamHeader)
	if el := n.Plain(c.user, "pw"); el.Name.Local != "success" {
		c.t.Fatalf("auth: %s", el)
	}
	n.Restart()
	return n.Open(servertest.StreamHeader)
}

func (c *client) resume(id string) *xmlnode.Element {
	c.t.Helper()
	c.Send(fmt.Sprintf("<resume xmlns='urn:xmpp:sm:3' previd='%s' h='%d'/>", id, c.h))
	return c.Next()
}

func body(el *xmlnode.Element) string { return el.ChildText("jabber:client", "body") }

func idle(t testing.TB, srv *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEnableAndAcks(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true})
	alice := login(t, srv, "alice", "phone")
	bob := login(t, srv, "bob", "pc")
	en := alice.enable(false)
	if en.Attrib("id") != "" || en.Attrib("resume") != "" {
		t.Fatalf("enabled without resume: %s", en)
	}
	// A client's max caps the resumption time, never raises it.
	for _, c := range []struct{ max, want string }{{"60", "60"}, {"100000", "600"}, {"x", "600"}} {
		other := login(t, srv, "carol", c.max)
		other.Send(`<enable xmlns='urn:xmpp:sm:3' resume='true' max='` + c.max + `'/>`)
		if el := other.Next(); el.Attrib("max") != c.want || el.Attrib("resume") != "true" || len(el.Attrib("id")) < 16 {
			t.Errorf("enable max=%s: %s, want max=%s", c.max, el, c.want)
		}
	}
	alice.Send(`<enable xmlns='urn:xmpp:sm:3'/>`)
	if el := alice.Next(); el.String() != `<failed xmlns="urn:xmpp:sm:3"><unexpected-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></failed>` {
		t.Fatalf("second enable: %s", el)
	}
	// Three stanzas from alice are counted.
	for i := range 3 {
		alice.Send(fmt.Sprintf(`<message to='bob@localhost/pc' type='chat'><body>%d</body></message>`, i))
	}
	alice.Send(`<r xmlns='urn:xmpp:sm:3'/>`)
	if el := alice.Next(); el.Attrib("h") != "3" || el.Name.Local != "a" {
		t.Fatalf("<r/>: %s", el)
	}
	for i := range 3 {
		if el := bob.Next(); body(el) != strconv.Itoa(i) {
			t.Fatalf("bob got %s", el)
		}
	}
	// The server asks for an ack after RequestEvery stanzas.
	for i := range sm.DefaultRequestEvery {
		bob.Send(fmt.Sprintf(`<message to='alice@localhost/phone' type='chat'><body>%d</body></message>`, i))
		if el := alice.Next(); body(el) != strconv.Itoa(i) {
			t.Fatalf("alice got %s", el)
		}
	}
	if el := alice.Next(); el.Name.Local != "r" {
		t.Fatalf("want <r/>, got %s", el)
	}
	alice.Send(`<a xmlns='urn:xmpp:sm:3' h='9'/>`)
	if el := alice.Next(); el.Name.Local != "error" || !strings.Contains(el.String(), "undefined-condition") {
		t.Fatalf("too high h: %s", el)
	}
}

func TestResumeBeforeBindOnly(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true})
	alice := login(t, srv, "alice", "phone")
	alice.Send(`<resume xmlns='urn:xmpp:sm:3' previd='x' h='0'/>`)
	if el := alice.Next(); !strings.Contains(el.String(), "unexpected-request") {
		t.Fatalf("resume after bind: %s", el)
	}
	c := &client{Raw: servertest.DialRaw(t, srv), t: t, srv: srv, user: "alice"}
	feats := c.reconnect()
	if feats.Child(sm.NS, "sm") == nil || feats.Child("urn:xmpp:csi:0", "csi") == nil {
		t.Fatalf("no <sm/> or <csi/> feature: %s", feats)
	}
	if el := c.resume("nope"); !strings.Contains(el.String(), "item-not-found") || el.Name.Local != "failed" {
		t.Fatalf("unknown id: %s", el)
	}
	c.Send(`<enable xmlns='urn:xmpp:sm:3'/>`)
	if el := c.Next(); !strings.Contains(el.String(), "unexpected-request") {
		t.Fatalf("enable before bind: %s", el)
	}
}

// TestCutAndResume cuts alice's TCP connection while bob is sending to her
// and resumes: every message arrives once, in order, and the counts agree.
func TestCutAndResume(t *testing.T) {
	for _, c := range []struct {
		name string
		// wait: the server has seen the cut before the client comes back;
		// open: the old connection is not even closed (the client came
		// back before noticing), so the resumption takes the session over.
		wait, open bool
		park       time.Duration
	}{
		{name: "hibernated", wait: true},
		{name: "racing", wait: false},
		{name: "takeover", open: true},
		// Every session parks between stanzas (netpoll) and wakes.
		{name: "parking", wait: true, park: time.Nanosecond},
		{name: "parking-takeover", open: true, park: time.Nanosecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			wait := c.wait
			srv := servertest.New(t, server.Config{AnyPassword: true, ParkAfter: c.park})
			alice := login(t, srv, "alice", "phone")
			bob := login(t, srv, "bob", "pc")
			bob.Send(`<presence/>`)
			bob.next()
			id := alice.enable(true).Attrib("id")
			alice.Send(`<presence/>`)
			alice.next()
			// Both in a room: the room must see nothing of the cut.
			alice.Send(`<presence to='room@conference.localhost/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
			alice.until(func(el *xmlnode.Element) bool { return el.Attrib("from") == "room@conference.localhost/alice" })
			alice.Send(`<iq type='set' id='cfg' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`)
			alice.until(func(el *xmlnode.Element) bool { return el.Attrib("id") == "cfg" })
			bob.Send(`<presence to='room@conference.localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
			bob.until(func(el *xmlnode.Element) bool {
				return el.Name.Local == "message" && el.Child("jabber:client", "subject") != nil
			})
			alice.until(func(el *xmlnode.Element) bool { return el.Attrib("from") == "room@conference.localhost/bob" })
			idle(t, srv)
			bobWrote := countWrites(t, bob)

			const n = 40
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n {
					bob.Send(fmt.Sprintf(`<message to='alice@localhost/phone' type='chat'><body>%d</body></message>`, i))
				}
			}()
			got := []string{}
			for len(got) < 10 {
				got = append(got, body(alice.next()))
			}
			wg.Wait()
			if wait {
				// Every message of bob's routed, not just written.
				readAll(t, srv, bobWrote)
				idle(t, srv)
			}
			old := alice.Raw
			if c.open {
				alice.dial()
			} else {
				alice.reconnect()
			}
			el := alice.resume(id)
			// alice sent presence, the join and the room form.
			if el.Name.Local != "resumed" || el.Attrib("previd") != id || el.Attrib("h") != "3" {
				t.Fatalf("resume: %s", el)
			}
			if c.open {
				// The old stream ends with a stream error.
				for {
					el, err := old.TryNext()
					if err != nil {
						t.Fatalf("old stream: %v, want a conflict stream error", err)
					}
					if el.Name.Local == "error" {
						if !strings.Contains(el.String(), "conflict") {
							t.Fatalf("old stream ended with %s", el)
						}
						break
					}
				}
			}
			for len(got) < n {
				el := alice.next()
				if el.Name.Local != "message" {
					t.Fatalf("got %s", el)
				}
				// Sent again, so stamped as Prosody's mod_smacks does
				// (when the server was idle before the resumption, every
				// message left is one sent again).
				if d := el.Child(sm.NSDelay, "delay"); wait && (d == nil || d.Attrib("from") != "alice@localhost") {
					t.Fatalf("a resent message without the delay: %s", el)
				}
				got = append(got, body(el))
			}
			for i, b := range got {
				if b != strconv.Itoa(i) {
					t.Fatalf("messages out of order or duplicated: %v", got)
				}
			}
			// Still bound as before: a ping to the full JID, and nothing
			// else (no presence from the room, none from bob).
			bob.Send(`<iq type='get' id='p' to='alice@localhost/phone'><ping xmlns='urn:xmpp:ping'/></iq>`)
			if el := alice.next(); el.Attrib("id") != "p" {
				t.Fatalf("after resume alice got %s", el)
			}
			alice.Send(`<iq type='result' id='p' to='bob@localhost/pc'/>`)
			if el := bob.next(); el.Name.Local != "iq" || el.Attrib("type") != "result" {
				t.Fatalf("bob got %s (the room or alice's presence leaked?)", el)
			}
			bob.Send(`<message to='room@conference.localhost' type='groupchat'><body>still here?</body></message>`)
			if el := alice.next(); body(el) != "still here?" {
				t.Fatalf("room message after resume: %s", el)
			}
			alice.Send(`<r xmlns='urn:xmpp:sm:3'/>`)
			// alice sent presence, the join, the room form, the result: 4
			// server counted them across both connections.
			if el := alice.ackAnswer(); el.Attrib("h") != "4" {
				t.Fatalf("h after resume: %s", el)
			}
			// The counts agree exactly: once alice acknowledges all she
			// read, a second resumption sends nothing again (an h above
			// the server's count would have failed the stream).
			alice.Send(fmt.Sprintf("<a xmlns='urn:xmpp:sm:3' h='%d'/>", alice.h))
			alice.Send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
			if el := alice.next(); el.Attrib("id") != "sync" {
				t.Fatalf("got %s", el)
			}
			alice.Send(fmt.Sprintf("<a xmlns='urn:xmpp:sm:3' h='%d'/>", alice.h))
			idle(t, srv)
			alice.reconnect()
			if el := alice.resume(id); el.Name.Local != "resumed" || el.Attrib("h") != "5" {
				t.Fatalf("second resume: %s", el)
			}
			alice.Send("<iq type='get' id='sync2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
			if el := alice.Next(); el.Attrib("id") != "sync2" {
				t.Fatalf("after a full ack, the second resumption sent %s", el)
			}
		})
	}
}

// clock returns a fakeClock for one test, whose hibernated waits for.
var lastClock *fakeClock

func clock() *fakeClock {
	lastClock = &fakeClock{armed: make(chan func(), 16)}
	return lastClock
}

// hibernated waits until a session started hibernating (its timer was
// armed): closing a connection does not say when the server sees it.
func hibernated(t testing.TB) {
	t.Helper()
	select {
	case <-lastClock.armed:
	case <-time.After(10 * time.Second):
		t.Fatal("no session hibernated")
	}
}

// fakeClock hands the test the hibernation timers.
type fakeClock struct {
	armed chan func()
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.armed <- f
	return func() bool { return true }
}

// TestExpiry lets a hibernating session's timer fire: the session goes
// offline with unavailable presence, its unacked message with a body goes
// to offline storage once (delayed), the chat state is dropped, and the
// unacked iq is answered with an error.
func TestExpiry(t *testing.T) {
	clock := &fakeClock{armed: make(chan func(), 1)}
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"},
		Modules: []module.Module{sm.Module{AfterFunc: clock.AfterFunc, RequestEvery: 100}}})
	alice := login(t, srv, "alice", "phone")
	bob := login(t, srv, "bob", "pc")
	bob.Send(`<presence/>`)
	bob.next()
	id := alice.enable(true).Attrib("id")
	alice.Send(`<presence to='bob@localhost/pc'/>`) // directed: bob sees alice go
	bob.next()
	bob.Send(`<message to='alice@localhost/phone' type='chat'><body>one</body></message>`)
	bob.Send(`<message to='alice@localhost/phone' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	bob.Send(`<iq to='alice@localhost/phone' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>`)
	alice.next()
	alice.next()
	alice.next()
	_ = alice.Conn.Close()
	fire := <-clock.armed
	fire()
	if el := bob.next(); el.Name.Local != "presence" || el.Attrib("type") != "unavailable" {
		t.Fatalf("bob got %s, want unavailable", el)
	}
	if el := bob.next(); el.Name.Local != "iq" || el.Attrib("type") != "error" || !strings.Contains(el.String(), "recipient-unavailable") {
		t.Fatalf("bob got %s, want the iq's error", el)
	}
	c := &client{t: t, srv: srv, user: "alice"}
	c.Raw = servertest.DialRaw(t, srv)
	c.reconnect()
	// Told how many of its stanzas the server handled (the directed
	// presence), as Prosody does.
	if el := c.resume(id); !strings.Contains(el.String(), "item-not-found") || el.Attrib("h") != "1" {
		t.Fatalf("resume after expiry: %s", el)
	}
	c.Send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`)
	c.Next()
	c.Send(`<presence/>`)
	var msgs []*xmlnode.Element
	for {
		el := c.Next()
		if el.Name.Local == "message" {
			msgs = append(msgs, el)
		}
		if el.Name.Local == "presence" && el.Attrib("from") == c.JID {
			continue
		}
		if len(msgs) == 1 {
			break
		}
	}
	if body(msgs[0]) != "one" || msgs[0].Child(sm.NSDelay, "delay") == nil {
		t.Fatalf("offline message: %s", msgs[0])
	}
	c.Send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	for el := c.Next(); el.Attrib("id") != "sync"; el = c.Next() {
		if el.Name.Local == "message" {
			t.Fatalf("a second message: %s", el)
		}
	}
}

// TestUnackedBound: a client that never acknowledges is disconnected
// with resource-constraint once its unacked queue is over the bound; what
// it never acknowledged goes to offline storage.
func TestUnackedBound(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  sm.Module
	}{
		{"count", sm.Module{MaxUnacked: 4, RequestEvery: 100}},
		{"bytes", sm.Module{MaxUnackedBytes: 400, RequestEvery: 100}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"}, Modules: []module.Module{c.mod}})
			alice := login(t, srv, "alice", "phone")
			bob := login(t, srv, "bob", "pc")
			alice.enable(true)
			// Four fit, the fifth is over; the sixth comes while the
			// session ends: none is lost.
			for i := range 6 {
				bob.Send(fmt.Sprintf(`<message to='alice@localhost/phone' type='chat'><body>%d</body></message>`, i))
			}
			for {
				el := alice.Next()
				if el.Name.Local == "error" {
					if !strings.Contains(el.String(), "resource-constraint") || !strings.Contains(el.String(), "too many unacked") {
						t.Fatalf("stream error %s", el)
					}
					break
				}
			}
			idle(t, srv)
			again := login(t, srv, "alice", "tablet")
			again.Send(`<presence/>`)
			var bodies []string
			for len(bodies) < 6 {
				if el := again.Next(); el.Name.Local == "message" {
					if el.Child(sm.NSDelay, "delay") == nil {
						t.Errorf("no delay on %s", el)
					}
					bodies = append(bodies, body(el))
				}
			}
			if strings.Join(bodies, ",") != "0,1,2,3,4,5" {
				t.Fatalf("offline messages %v", bodies)
			}
		})
	}
}

// TestWithClientState: XEP-0352's queue sits above XEP-0198's, so what an
// inactive client is not sent yet is not counted either, and a resumption
// does not send it twice.
func TestWithClientState(t *testing.T) {
	for _, first := range []bool{true, false} {
		t.Run(fmt.Sprintf("inactive-first=%v", first), func(t *testing.T) { testWithClientState(t, first) })
	}
}

func testWithClientState(t *testing.T, inactiveFirst bool) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true})
	alice := login(t, srv, "alice", "phone")
	bob := login(t, srv, "bob", "pc")
	// Inactive before or after enabling: the layers stack the same way.
	if inactiveFirst {
		alice.Send(`<inactive xmlns='urn:xmpp:csi:0'/>`)
	}
	id := alice.enable(true).Attrib("id")
	if !inactiveFirst {
		alice.Send(`<inactive xmlns='urn:xmpp:csi:0'/>`)
	}
	bob.Send(`<presence to='alice@localhost/phone'><show>away</show></presence>`)
	bob.Send(`<message to='alice@localhost/phone' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>`)
	idle(t, srv)
	_ = alice.Conn.Close()
	idle(t, srv)
	alice.reconnect()
	if el := alice.resume(id); el.Name.Local != "resumed" {
		t.Fatalf("resume: %s", el)
	}
	bob.Send(`<message to='alice@localhost/phone' type='chat'><body>hi</body></message>`)
	want := []string{"presence", "message", "hi"}
	var got []string
	for len(got) < len(want) {
		el := alice.next()
		if b := body(el); b != "" {
			got = append(got, b)
		} else {
			got = append(got, el.Name.Local)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("alice got %v, want %v", got, want)
	}
	alice.Send(`<active xmlns='urn:xmpp:csi:0'/>`)
	alice.Send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := alice.next(); el.Attrib("id") != "sync" {
		t.Fatalf("after <active/>, alice got %s", el)
	}
}

// TestHibernatedOverflow: a hibernating session whose queue goes over its
// bound ends at once (its contacts see it go), rather than holding it all
// until its resumption time.
func TestHibernatedOverflow(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"},
		Modules: []module.Module{sm.Module{MaxUnacked: 3, RequestEvery: 100}}})
	alice := login(t, srv, "alice", "phone")
	bob := login(t, srv, "bob", "pc")
	id := alice.enable(true).Attrib("id")
	alice.Send(`<presence to='bob@localhost/pc'/>`)
	bob.next()
	_ = alice.Conn.Close()
	idle(t, srv)
	for i := range 4 {
		bob.Send(fmt.Sprintf(`<message to='alice@localhost/phone' type='chat'><body>%d</body></message>`, i))
	}
	if el := bob.next(); el.Name.Local != "presence" || el.Attrib("type") != "unavailable" {
		t.Fatalf("bob got %s, want alice's unavailable", el)
	}
	c := &client{t: t, srv: srv, user: "alice", Raw: servertest.DialRaw(t, srv)}
	c.reconnect()
	if el := c.resume(id); !strings.Contains(el.String(), "item-not-found") {
		t.Fatalf("resume after overflow: %s", el)
	}
}

// TestCleanCloseEnds: a client that closes its stream ends its session,
// resumable or not: its contacts see it go, and it cannot be resumed.
func TestCleanCloseEnds(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true})
	alice := login(t, srv, "alice", "phone")
	bob := login(t, srv, "bob", "pc")
	id := alice.enable(true).Attrib("id")
	alice.Send(`<presence to='bob@localhost/pc'/>`)
	bob.next()
	alice.Close()
	if el := bob.next(); el.Name.Local != "presence" || el.Attrib("type") != "unavailable" {
		t.Fatalf("bob got %s, want alice's unavailable", el)
	}
	c := &client{t: t, srv: srv, user: "alice", Raw: servertest.DialRaw(t, srv)}
	c.reconnect()
	if el := c.resume(id); !strings.Contains(el.String(), "item-not-found") {
		t.Fatalf("resume after a clean close: %s", el)
	}
}

// TestHibernatingBounds: an account keeps at most MaxHibernating dropped
// sessions (over it, the one that has waited longest ends), and the
// server MaxHibernatingBytes queued for them (a delivery over it ends the
// session it is for), and the server MaxHibernatingTotal sessions of every
// account together.
func TestHibernatingBounds(t *testing.T) {
	t.Run("count", func(t *testing.T) {
		srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"},
			Modules: []module.Module{sm.Module{MaxHibernating: 2, AfterFunc: clock().AfterFunc}}})
		bob := login(t, srv, "bob", "pc")
		ids := map[string]string{}
		for _, res := range []string{"1", "2", "3"} {
			a := login(t, srv, "alice", res)
			ids[res] = a.enable(true).Attrib("id")
			a.Send(`<presence to='bob@localhost/pc'/>`)
			bob.next()
			_ = a.Conn.Close()
			hibernated(t)
		}
		if el := bob.next(); el.Attrib("type") != "unavailable" || el.Attrib("from") != "alice@localhost/1" {
			t.Fatalf("bob got %s, want alice/1's unavailable", el)
		}
		for res, want := range map[string]string{"1": "failed", "3": "resumed"} {
			c := &client{t: t, srv: srv, user: "alice", Raw: servertest.DialRaw(t, srv)}
			c.reconnect()
			if el := c.resume(ids[res]); el.Name.Local != want {
				t.Fatalf("resume %s: %s, want %s", res, el, want)
			}
		}
	})
	t.Run("total", func(t *testing.T) {
		// Three accounts, one dropped session each: within every
		// account's bound, over the server's count of 2.
		srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"},
			Modules: []module.Module{sm.Module{MaxHibernatingTotal: 2, AfterFunc: clock().AfterFunc}}})
		bob := login(t, srv, "bob", "pc")
		ids := map[string]string{}
		for _, user := range []string{"u1", "u2", "u3"} {
			a := login(t, srv, user, "r")
			ids[user] = a.enable(true).Attrib("id")
			a.Send(`<presence to='bob@localhost/pc'/>`)
			bob.next()
			_ = a.Conn.Close()
			hibernated(t)
		}
		if el := bob.next(); el.Attrib("type") != "unavailable" || el.Attrib("from") != "u1@localhost/r" {
			t.Fatalf("bob got %s, want u1's unavailable", el)
		}
		for user, want := range map[string]string{"u1": "failed", "u2": "resumed", "u3": "resumed"} {
			c := &client{t: t, srv: srv, user: user, Raw: servertest.DialRaw(t, srv)}
			c.reconnect()
			if el := c.resume(ids[user]); el.Name.Local != want {
				t.Fatalf("resume %s: %s, want %s", user, el, want)
			}
		}
	})
	t.Run("bytes", func(t *testing.T) {
		srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"},
			Modules: []module.Module{sm.Module{MaxHibernatingBytes: 1000, RequestEvery: 100, AfterFunc: clock().AfterFunc}}})
		bob := login(t, srv, "bob", "pc")
		for _, user := range []string{"alice", "carol"} {
			a := login(t, srv, user, "phone")
			a.enable(true)
			a.Send(`<presence to='bob@localhost/pc'/>`)
			bob.next()
			_ = a.Conn.Close()
			hibernated(t)
		}
		// 600 bytes for carol, then 600 more for alice, which end her.
		big := strings.Repeat("x", 500)
		bob.Send(`<message to='carol@localhost/phone' type='chat'><body>` + big + `</body></message>`)
		bob.Send(`<message to='alice@localhost/phone' type='chat'><body>` + big + `</body></message>`)
		if el := bob.next(); el.Attrib("type") != "unavailable" || el.Attrib("from") != "alice@localhost/phone" {
			t.Fatalf("bob got %s, want alice's unavailable", el)
		}
	})
	t.Run("bytes-at-hibernation", func(t *testing.T) {
		srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"},
			Modules: []module.Module{sm.Module{MaxHibernatingBytes: 1000, RequestEvery: 100, AfterFunc: clock().AfterFunc}}})
		bob := login(t, srv, "bob", "pc")
		big := strings.Repeat("x", 500)
		for _, user := range []string{"alice", "carol"} {
			a := login(t, srv, user, "phone")
			a.enable(true)
			a.Send(`<presence to='bob@localhost/pc'/>`)
			bob.next()
			// Unacknowledged when the connection drops.
			bob.Send(`<message to='` + user + `@localhost/phone' type='chat'><body>` + big + `</body></message>`)
			a.next()
			_ = a.Conn.Close()
			hibernated(t)
		}
		if el := bob.next(); el.Attrib("type") != "unavailable" || el.Attrib("from") != "alice@localhost/phone" {
			t.Fatalf("bob got %s, want alice's unavailable", el)
		}
	})
}

// TestHostile: another account cannot take a session over with its id,
// and malformed or misplaced elements get a failure or a stream error, the
// victim being served throughout.
func TestHostile(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true})
	alice := login(t, srv, "alice", "phone")
	id := alice.enable(true).Attrib("id")
	_ = alice.Conn.Close()
	idle(t, srv)

	mallory := &client{t: t, srv: srv, user: "mallory", Raw: servertest.DialRaw(t, srv)}
	mallory.reconnect()
	if el := mallory.resume(id); el.Name.Local != "failed" || !strings.Contains(el.String(), "item-not-found") || el.Attrib("h") != "" {
		t.Fatalf("mallory resuming alice's session: %s", el)
	}
	for _, c := range []struct{ send, want string }{
		{`<resume xmlns='urn:xmpp:sm:3' previd='` + id + `' h='-1'/>`, "bad-request"},
		{`<resume xmlns='urn:xmpp:sm:3' h='0'/>`, "bad-request"},
	} {
		mallory.Send(c.send)
		if el := mallory.Next(); el.Name.Local != "failed" || !strings.Contains(el.String(), c.want) {
			t.Fatalf("%s: %s, want %s", c.send, el, c.want)
		}
	}
	for _, c := range []struct{ name, enable, send, want string }{
		{"r before enable", "", `<r xmlns='urn:xmpp:sm:3'/>`, "unsupported-stanza-type"},
		{"a before enable", "", `<a xmlns='urn:xmpp:sm:3' h='0'/>`, "unsupported-stanza-type"},
		{"a without h", "yes", `<a xmlns='urn:xmpp:sm:3'/>`, "invalid-xml"},
		{"negative h", "yes", `<a xmlns='urn:xmpp:sm:3' h='-1'/>`, "invalid-xml"},
		{"h too high", "yes", `<a xmlns='urn:xmpp:sm:3' h='1'/>`, "undefined-condition"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := login(t, srv, "mallory", "")
			m.t = t
			if c.enable != "" {
				m.enable(false)
			}
			m.Send(c.send)
			if el := m.Next(); el.Name.Local != "error" || !strings.Contains(el.String(), c.want) {
				t.Fatalf("got %s, want stream error %s", el, c.want)
			}
		})
	}
	// Alice's session waited throughout.
	alice.reconnect()
	if el := alice.resume(id); el.Name.Local != "resumed" {
		t.Fatalf("alice: %s", el)
	}
}

// TestExpiryLeavesRoom: a session that is not resumed in time leaves its
// rooms as any session that goes offline does; until then the room sees
// nothing.
func TestExpiryLeavesRoom(t *testing.T) {
	clock := &fakeClock{armed: make(chan func(), 1)}
	srv := servertest.New(t, server.Config{AnyPassword: true, Without: []string{"sm"},
		Modules: []module.Module{sm.Module{AfterFunc: clock.AfterFunc}}})
	alice := login(t, srv, "alice", "phone")
	bob := login(t, srv, "bob", "pc")
	alice.enable(true)
	alice.Send(`<presence to='room@conference.localhost/alice'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	alice.until(func(el *xmlnode.Element) bool { return el.Attrib("from") == "room@conference.localhost/alice" })
	alice.Send(`<iq type='set' id='cfg' to='room@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`)
	alice.until(func(el *xmlnode.Element) bool { return el.Attrib("id") == "cfg" })
	bob.Send(`<presence to='room@conference.localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	bob.until(func(el *xmlnode.Element) bool { return el.Child("jabber:client", "subject") != nil })
	_ = alice.Conn.Close()
	fire := <-clock.armed
	bob.Send(`<message to='room@conference.localhost' type='groupchat'><body>anyone?</body></message>`)
	if el := bob.next(); body(el) != "anyone?" {
		t.Fatalf("before expiry bob got %s", el)
	}
	fire()
	if el := bob.next(); el.Attrib("from") != "room@conference.localhost/alice" || el.Attrib("type") != "unavailable" {
		t.Fatalf("at expiry bob got %s, want alice leaving the room", el)
	}
}

// TestCutWhileSending cuts alice's connection with a reset while she is
// sending: what the server had not read is lost with the connection, and
// <resumed h/> tells her where to start again, so that bob gets every
// message once, in order.
func TestCutWhileSending(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true})
	alice := login(t, srv, "alice", "phone")
	bob := login(t, srv, "bob", "pc")
	id := alice.enable(true).Attrib("id")
	const n = 200
	msg := func(i int) string {
		return fmt.Sprintf(`<message to='bob@localhost/pc' type='chat'><body>%d</body></message>`, i)
	}
	var all strings.Builder
	for i := range n {
		all.WriteString(msg(i))
	}
	if tc, ok := alice.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with a reset: unread input is dropped
	}
	alice.Send(all.String()[:len(all.String())/2+7]) // ends inside a stanza
	_ = alice.Conn.Close()
	idle(t, srv)
	alice.reconnect()
	el := alice.resume(id)
	h, err := strconv.Atoi(el.Attrib("h"))
	if el.Name.Local != "resumed" || err != nil || h > n/2 {
		t.Fatalf("resume: %s", el)
	}
	t.Logf("the server had handled %d of %d", h, n)
	for i := h; i < n; i++ {
		alice.Send(msg(i))
	}
	for i := range n {
		if el := bob.next(); body(el) != strconv.Itoa(i) {
			t.Fatalf("bob got %s, want message %d", el, i)
		}
	}
	bob.Send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := bob.next(); el.Attrib("id") != "sync" {
		t.Fatalf("bob got %s more", el)
	}
}

// TestExpiryWithAnotherResource: when another session of the account is
// bound, an expired session's unacked message is not delivered again
// (that session may have had it already, here as a carbon): its sender
// is told recipient-unavailable, as Prosody's mod_smacks does.
func TestExpiryWithAnotherResource(t *testing.T) {
	clock := &fakeClock{armed: make(chan func(), 1)}
	srv := servertest.New(t, server.Config{AnyPassword: true, NoMUC: true, Without: []string{"sm"},
		Modules: []module.Module{sm.Module{AfterFunc: clock.AfterFunc, RequestEvery: 100}}})
	alice := login(t, srv, "alice", "phone")
	laptop := login(t, srv, "alice", "laptop")
	bob := login(t, srv, "bob", "pc")
	laptop.Send(`<iq type='set' id='c'><enable xmlns='urn:xmpp:carbons:2'/></iq>`)
	laptop.next()
	alice.enable(true)
	bob.Send(`<message to='alice@localhost/phone' type='chat' id='m1'><body>one</body></message>`)
	alice.next()
	if el := laptop.next(); el.Child("urn:xmpp:carbons:2", "received") == nil {
		t.Fatalf("laptop got %s, want the carbon", el)
	}
	_ = alice.Conn.Close()
	(<-clock.armed)()
	if el := bob.next(); el.Attrib("type") != "error" || el.Attrib("id") != "m1" || !strings.Contains(el.String(), "recipient-unavailable") {
		t.Fatalf("bob got %s, want the message's error", el)
	}
	laptop.Send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
	if el := laptop.next(); el.Attrib("id") != "sync" {
		t.Fatalf("laptop got %s again", el)
	}
}
