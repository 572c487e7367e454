package router_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/offline"
	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/moduletest"
)

// TestStateSize: what modules store for an account is counted, grows with
// what is stored, and shrinks when it is delivered.
func TestStateSize(t *testing.T) {
	s := moduletest.New(t, private.Module{}, offline.Module{})
	if n := s.Router.StateSize("alice"); n != 0 {
		t.Fatalf("no account: %d bytes", n)
	}
	a := s.Login("alice@localhost/a")
	if n := s.Router.StateSize("alice"); n != 0 {
		t.Fatalf("fresh account: %d bytes", n)
	}
	big := strings.Repeat("x", 1000)
	a.Send(`<iq type="set" id="p"><query xmlns="jabber:iq:private"><n xmlns="urn:example">` + big + `</n></query></iq>`)
	stored := s.Router.StateSize("alice")
	if stored < 1000 || stored > 1200 {
		t.Fatalf("after storing 1000 bytes privately: %d bytes", stored)
	}
	b := s.Login("bob@localhost/b")
	b.Send(`<message to="alice@localhost" type="chat"><body>` + big + `</body></message>`)
	withOffline := s.Router.StateSize("alice")
	if withOffline-stored < 1000 {
		t.Fatalf("after an offline message of 1000 bytes: %d, was %d", withOffline, stored)
	}
	a.Send(`<presence/>`)
	if n := s.Router.StateSize("alice"); n != stored {
		t.Fatalf("after delivery of the offline message: %d bytes, want %d", n, stored)
	}
}
