package pep_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/pep"
)

// TestUnansweredCapsBounded: a client that announces caps and never
// answers the queries is asked at most MaxQueriesInFlight times by each
// service, its own and a contact's, however many presences it sends.
func TestUnansweredCapsBounded(t *testing.T) {
	s := server(t)
	romeo := s.Login("romeo@localhost/desk")
	juliet := s.Login("juliet@localhost/balcony")
	for _, st := range []struct {
		from   string
		stanza string
	}{
		{"j", `<presence/>`},
		{"r", `<iq type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="juliet@localhost"/></query></iq>`},
		{"r", `<presence type="subscribe" to="juliet@localhost"/>`},
		{"j", `<presence type="subscribed" to="romeo@localhost"/>`},
		{"j", `<presence type="subscribe" to="romeo@localhost"/>`},
		{"r", `<presence type="subscribed" to="juliet@localhost"/>`},
	} {
		c := romeo
		if st.from == "j" {
			c = juliet
		}
		c.Send(st.stanza)
		romeo.Received()
		juliet.Received()
	}
	asked := map[string]int{}
	for range 3 * pep.MaxQueriesInFlight {
		romeo.Send(`<presence><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="urn:x" ver="never="/></presence>`)
		for _, el := range romeo.Received() {
			if el.Name.Local == "iq" && strings.Contains(el.String(), "urn:x#never=") {
				asked[el.Attrib("from")]++
			}
		}
		juliet.Received()
	}
	for _, from := range []string{"romeo@localhost", "juliet@localhost"} {
		if asked[from] != pep.MaxQueriesInFlight {
			t.Errorf("%s asked %d times, want %d (all: %v)", from, asked[from], pep.MaxQueriesInFlight, asked)
		}
	}
}
