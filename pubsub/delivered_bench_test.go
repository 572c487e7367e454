package pubsub

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// benchPayloads are item payloads of the shapes the stores are measured
// with (xmlnode's treeShapes): an everyday one (an Atom entry), 4 KB of
// text, and 1,000 tiny elements.
var benchPayloads = []struct{ name, xml string }{
	{"atom", `<entry xmlns="http://www.w3.org/2005/Atom"><title type="text">hanging out at the Caf&#233; Napolitano</title>` +
		`<link rel="alternate" type="text/html" href="http://jabber.org/people/stpeter.php"/>` +
		`<id>tag:example.org,2008:entry-32397</id><published>2008-05-08T18:30:02Z</published><updated>2008-05-08T18:30:02Z</updated></entry>`},
	{"text", `<s xmlns="urn:x:status">` + strings.Repeat("hello world ", 340) + `</s>`},
	{"tiny-elements", `<x xmlns="urn:x:flood">` + strings.Repeat("<a/>", 1000) + `</x>`},
}

// BenchmarkPublishDelivered is a publish to a node with 100 subscribers
// with every stanza it causes serialised as c2s does (AppendTo into a
// reused buffer, in a jabber:client stream): the CPU a PEP or pubsub
// notification fan-out costs the server, without sockets. Compare two
// builds interleaved: go test -run ^$ -bench Delivered -count 6 ./pubsub.
func BenchmarkPublishDelivered(b *testing.B) {
	for _, p := range benchPayloads {
		b.Run(p.name, func(b *testing.B) {
			s := component(Quotas{})
			s.HandleIQ(withFrom(xmlnode.MustParse(createIQ("n")), admin))
			for i := range 100 {
				j := "user" + strconv.Itoa(i) + "@localhost/r"
				s.HandleIQ(withFrom(xmlnode.MustParse(subscribeIQ("n", j)), j))
			}
			iq := withFrom(xmlnode.MustParse(publishIQ("n", "current", p.xml)), admin)
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				out := s.HandleIQ(iq)
				if len(out) != 101 {
					b.Fatalf("%d stanzas", len(out))
				}
				for _, st := range out {
					buf = st.AppendTo(buf[:0], nsClient)
				}
			}
		})
	}
}

// BenchmarkItemsDelivered is an items request for a node's 20 items,
// the result serialised as c2s does.
func BenchmarkItemsDelivered(b *testing.B) {
	for _, p := range benchPayloads {
		b.Run(p.name, func(b *testing.B) {
			s := component(Quotas{})
			s.HandleIQ(withFrom(xmlnode.MustParse(createIQ("n")), admin))
			for i := range 20 {
				s.HandleIQ(withFrom(xmlnode.MustParse(publishIQ("n", "i"+strconv.Itoa(i), p.xml)), admin))
			}
			iq := withFrom(xmlnode.MustParse(itemsIQ("n", "", "")), admin)
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				out := s.HandleIQ(iq)
				if len(out) != 1 {
					b.Fatalf("%d stanzas", len(out))
				}
				buf = out[0].AppendTo(buf[:0], nsClient)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
