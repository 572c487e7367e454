package pep_test

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/moduletest"
)

// BenchmarkPublish100 is one PEP publish to a node with 100 subscribed
// contacts, through the router: the PEP figure bench/README asks for
// (notifications per second = 100 / the time per op), without sockets.
func BenchmarkPublish100(b *testing.B) {
	s := moduletest.New(b, roster.Module{}, pep.Module{})
	owner := s.Login("romeo@localhost/r")
	owner.Send(`<iq type="set" id="c"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:x:status"><item id="current"><s xmlns="urn:x:status"/></item></publish>` +
		`<publish-options><x xmlns="jabber:x:data" type="submit"><field var="pubsub#access_model"><value>open</value></field></x></publish-options></pubsub></iq>`)
	owner.Received()
	contacts := make([]*moduletest.Client, 100)
	for i := range contacts {
		c := s.Login("c" + strconv.Itoa(i) + "@localhost/r")
		c.Send(`<iq type="set" id="s" to="romeo@localhost"><pubsub xmlns="http://jabber.org/protocol/pubsub"><subscribe node="urn:x:status" jid="` + c.JID.String() + `"/></pubsub></iq>`)
		c.Received()
		contacts[i] = c
	}
	pub := `<iq type="set" id="p"><pubsub xmlns="http://jabber.org/protocol/pubsub"><publish node="urn:x:status"><item id="current"><s xmlns="urn:x:status">busy</s></item></publish></pubsub></iq>`
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		owner.Send(pub)
		owner.Received()
		for _, c := range contacts {
			if len(c.Received()) != 1 {
				b.Fatal("a contact missed the notification")
			}
		}
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "notifications/s")
}
