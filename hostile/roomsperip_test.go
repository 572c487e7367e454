package hostile_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/server"
)

// dialFrom logs user in from the local address ip (127.0.0.2 is loopback
// on Linux too), so that a test plays a second client address.
func (e *env) dialFrom(ip, user, resource string) *client.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	nc, err := d.DialContext(ctx, "tcp", e.srv.Addr().String())
	if err != nil {
		e.t.Fatalf("dial %s from %s: %v", user, ip, err)
	}
	c, err := client.New(ctx, nc, client.Config{
		JID: user + "@localhost", Password: password, Resource: resource, Mechanism: "PLAIN", Timeout: testTimeout,
	})
	if err != nil {
		nc.Close()
		e.t.Fatalf("log in %s from %s: %v", user, ip, err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestRoomsPerIPAcrossNames: in any-password mode one client address logs
// in under a new account name for every room, each name within
// MaxRoomsPerUser; past MaxRoomsPerIP rooms from that address the next
// creation is refused not-allowed (cancel), as the per-user bound and
// Prosody's refused room creation are, whatever the name. A client at
// another address still creates rooms, destroying one of the first
// address's rooms frees its place, and a witness's round trips stay short
// throughout.
func TestRoomsPerIPAcrossNames(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	const perIP = 5
	e := newEnv(t, server.Config{AnyPassword: true, MUCLimits: muc.Limits{MaxRoomsPerUser: 1, MaxRoomsPerIP: perIP}})
	w := e.watch("watcher")
	create := func(c *client.Conn, room string) (ok bool, refusal string) {
		t.Helper()
		join := fmt.Sprintf(`<presence id='c' to='%s@conference.localhost/n'><x xmlns='%s'/></presence>`, room, nsMUC)
		must(t, c.SendRaw([]byte(join)))
		for {
			st := recv(t, c)
			if st.Name.Local != "presence" || st.Attrib("from") != room+"@conference.localhost/n" {
				continue
			}
			if st.Attrib("type") == "error" {
				wantStanzaError(t, st, "cancel", "not-allowed")
				return false, st.Child("jabber:client", "error").ChildText(nsStanzas, "text")
			}
			return true, ""
		}
	}
	var first []*client.Conn
	for i := range perIP + 3 {
		c := e.dial(fmt.Sprintf("name%d", i), "r")
		first = append(first, c)
		ok, text := create(c, fmt.Sprintf("flood%d", i))
		if want := i < perIP; ok != want {
			t.Fatalf("room %d from one address under a new name: created %v, want %v", i, ok, want)
		}
		if !ok && text == "" {
			t.Errorf("refusal of room %d has no text", i)
		}
	}
	e.checkWitnesses()

	other := e.dialFrom("127.0.0.2", "elsewhere", "r")
	if ok, text := create(other, "elsewhere"); !ok {
		t.Fatalf("a client at another address was refused a room: %s", text)
	}

	// The first address's rooms are all still counted, however their
	// creators' names change; destroying one frees its place.
	if r := until(t, first[0], `<iq type='set' id='rm' to='flood0@conference.localhost'><query xmlns='`+nsMUCOwn+`'><destroy/></query></iq>`, "rm"); r.Attrib("type") != "result" {
		t.Fatalf("destroy: %s", r)
	}
	if ok, text := create(e.dial("late", "r"), "again"); !ok {
		t.Fatalf("creation after a destroy refused: %s", text)
	}
	if ok, _ := create(e.dial("later", "r"), "again2"); ok {
		t.Fatal("creation past MaxRoomsPerIP again allowed")
	}
	e.checkWitnesses()
	w.finish()
}
