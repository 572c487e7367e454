package pubsub

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// BenchmarkPublish100 is one publish to a node with 100 subscribers: the
// engine's share of a PEP or pubsub fan-out (parse, store, build the
// notification once and address it 100 times).
func BenchmarkPublish100(b *testing.B) {
	s := component(Quotas{})
	send(&testing.T{}, s, admin, createIQ("n"))
	for i := 0; i < 100; i++ {
		j := "user" + strconv.Itoa(i) + "@localhost/r"
		s.HandleIQ(withFrom(xmlnode.MustParse(subscribeIQ("n", j)), j))
	}
	iq := withFrom(xmlnode.MustParse(publishIQ("n", "current", atom)), admin)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := s.HandleIQ(iq)
		if len(out) != 101 {
			b.Fatalf("%d stanzas", len(out))
		}
	}
}

func withFrom(e *xmlnode.Element, from string) *xmlnode.Element {
	e.SetAttr("from", from)
	e.SetAttr("to", "pubsub.localhost")
	return e
}
