package offline_test

import (
	"testing"
	"time"

	"github.com/muctest/muctest/mod/offline"
	"github.com/muctest/muctest/moduletest"
)

func TestOffline(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	s := moduletest.New(t, offline.Module{Max: 2, Now: func() time.Time { return at }})
	r := s.Login("romeo@localhost/r")
	for _, body := range []string{"one", "two", "three"} { // three is over Max
		r.Send(`<message to="juliet@localhost" type="chat"><body>` + body + `</body></message>`)
	}
	r.Send(`<message to="juliet@localhost" type="headline"><body>not kept</body></message>`)
	r.Expect(`<message type="error" from="juliet@localhost"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Offline message storage is full</text></error></message>`)

	// Not to a negative priority resource; to the next non-negative one.
	neg := s.Login("juliet@localhost/neg")
	neg.Send(`<presence><priority>-1</priority></presence>`)
	neg.Expect(`<presence from="juliet@localhost/neg"><priority>-1</priority></presence>`)
	j := s.Login("juliet@localhost/j")
	j.Send(`<presence/>`)
	delay := `<delay xmlns="urn:xmpp:delay" from="localhost" stamp="2026-12-01T10:00:00Z"/>`
	j.Expect(`<presence from="juliet@localhost/j"/>`,
		`<presence from="juliet@localhost/neg"><priority>-1</priority></presence>`,
		`<message from="romeo@localhost/r" type="chat"><body>one</body>`+delay+`</message>`,
		`<message from="romeo@localhost/r" type="chat"><body>two</body>`+delay+`</message>`)

	// Delivered once.
	j.Send(`<presence type="unavailable"/>`)
	j.Send(`<presence/>`)
	got := j.Received()
	for _, st := range got {
		if st.Name.Local == "message" {
			t.Fatalf("offline message delivered twice: %v", st)
		}
	}
}

// TestWithoutOffline: with no offline module, a message nobody can take
// is bounced (RFC 6121 section 8.5.2.1.1).
func TestWithoutOffline(t *testing.T) {
	s := moduletest.New(t)
	r := s.Login("romeo@localhost/r")
	r.Send(`<message to="juliet@localhost" type="chat" id="m"><body>hi</body></message>`)
	r.Expect(`<message type="error" id="m" from="juliet@localhost"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`)
}
