package session_test

import (
	"testing"

	"github.com/muctest/muctest/mod/session"
	"github.com/muctest/muctest/moduletest"
)

func TestSession(t *testing.T) {
	s := moduletest.New(t, session.Module{})
	alice := s.Login("alice@localhost/phone")
	alice.Send(`<iq type="set" id="s1"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>`)
	alice.Expect(`<iq type="result" id="s1" to="alice@localhost/phone" scansion:strict="true"/>`)
	alice.Send(`<iq type="set" id="s2" to="localhost"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>`)
	alice.Expect(`<iq type="result" id="s2" from="localhost" to="alice@localhost/phone" scansion:strict="true"/>`)
	if f := s.Router.StreamFeatures(); len(f) != 1 || f[0].Offer(nil).String() != `<session xmlns="urn:ietf:params:xml:ns:xmpp-session"><optional/></session>` {
		t.Fatalf("stream features %v", f)
	}
}
