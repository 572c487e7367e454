package offline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/mod/offline"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
)

const full = `<message type="error" from="juliet@localhost" id="over"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Offline message storage is full</text></error></message>`

// TestOfflineQuotas: past each bound the next message is bounced
// resource-constraint (wait), every message kept before is still delivered,
// and the state size is back to zero once they are.
func TestOfflineQuotas(t *testing.T) {
	body := strings.Repeat("x", 1000)
	for _, tc := range []struct {
		name string
		lim  quota.Limits
		kept int // messages that fit
	}{
		{"count", quota.Limits{OfflineMessages: 3}, 3},
		{"bytes", quota.Limits{OfflineBytes: 2500}, 2},
		{"total bytes", quota.Limits{OfflineTotalBytes: 1300}, 1},
		{"account budget", quota.Limits{AccountBytes: 3000}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			s := moduletest.New(t, offline.Module{Limits: tc.lim, Now: func() time.Time { return at }})
			r := s.Login("romeo@localhost/r").In(t)
			for range tc.kept {
				r.Send(`<message to="juliet@localhost" type="chat"><body>` + body + `</body></message>`)
			}
			r.ExpectNothing()
			size := s.Router.StateSize("juliet")
			r.Send(`<message to="juliet@localhost" type="chat" id="over"><body>` + body + `</body></message>`)
			r.Expect(full)
			if got := s.Router.StateSize("juliet"); got != size {
				t.Errorf("state size %d after a refused message, want %d", got, size)
			}
			j := s.Login("juliet@localhost/j").In(t)
			j.Send(`<presence/>`)
			msgs := 0
			for _, st := range j.Received() {
				if st.Name.Local == "message" {
					msgs++
				}
			}
			if msgs != tc.kept {
				t.Errorf("juliet got %d offline messages, want %d", msgs, tc.kept)
			}
			if got := s.Router.StateSize("juliet"); got != 0 {
				t.Errorf("state size %d after delivery, want 0", got)
			}
		})
	}
}
