package time_test

import (
	"testing"
	"time"

	timemod "github.com/muctest/muctest/mod/time"
	"github.com/muctest/muctest/moduletest"
)

func TestTime(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 30, 5, 0, time.FixedZone("CET", 3600))
	s := moduletest.New(t, timemod.Module{Now: func() time.Time { return at }})
	alice := s.Login("alice@localhost/phone")
	alice.Send(`<iq type="get" id="t" to="localhost"><time xmlns="urn:xmpp:time"/></iq>`)
	alice.Expect(`<iq type="result" id="t" from="localhost"><time xmlns="urn:xmpp:time"><tzo>+00:00</tzo><utc>2026-12-01T09:30:05Z</utc></time></iq>`)
}
