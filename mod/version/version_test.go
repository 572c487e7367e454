package version_test

import (
	"testing"

	"github.com/muctest/muctest/mod/version"
	"github.com/muctest/muctest/moduletest"
)

func TestVersion(t *testing.T) {
	s := moduletest.New(t, version.Module{Software: "muctest", Version: "9.9"})
	alice := s.Login("alice@localhost/phone")
	alice.Send(`<iq type="get" id="v" to="localhost"><query xmlns="jabber:iq:version"/></iq>`)
	alice.Expect(`<iq type="result" id="v" from="localhost"><query xmlns="jabber:iq:version"><name>muctest</name><version>9.9</version></query></iq>`)
	// Only the server answers: an account's bare JID does not.
	alice.Send(`<iq type="get" id="w" to="bob@localhost"><query xmlns="jabber:iq:version"/></iq>`)
	alice.Expect(`<iq type="error" id="w" from="bob@localhost"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
}
