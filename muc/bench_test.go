package muc

import (
	"fmt"
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// BenchmarkGroupchat measures relaying one groupchat message in a room of
// 100 occupants (the service's side of a fan-out: 100 routed copies).
func BenchmarkGroupchat(b *testing.B) {
	routed := 0
	svc := New(Config{Domain: service, Router: component.RouterFunc(func(*xmlnode.Element) { routed++ })})
	fillBenchRoom(b, svc, 100)
	msg := parse(b, `<message from='u1@localhost/r' type='groupchat' id='m' to='bench@conference.localhost'><body>Hello, room!</body></message>`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		svc.HandleStanza(msg.Copy())
	}
}

// BenchmarkGroupchatDelivered is BenchmarkGroupchat with each recipient's
// stanza also serialised the way c2s does, into a reused buffer, in a
// jabber:client stream: the CPU a broadcast costs the server per message,
// serialisation included, without sockets. "Route" is a plain router (an
// addressed copy per recipient, encoded by AppendTo as Session.Send does);
// "RouteTo" is an AddressedRouter, as the server is (the shared stanza
// encoded with AppendToAttr as Session.SendTo does).
func BenchmarkGroupchatDelivered(b *testing.B) {
	for _, r := range benchRouters() {
		b.Run(r.name, func(b *testing.B) {
			svc := New(Config{Domain: service, Router: r.router})
			fillBenchRoom(b, svc, 100)
			// What mucbench sends: a body with a marker, a client's origin-id.
			msg := parse(b, `<message from='u1@localhost/r' type='groupchat' id='m' to='bench@conference.localhost'><body>#mb:u1:17:1732901234567890123#</body><origin-id xmlns='urn:xmpp:sid:0' id='4f1c2e'/></message>`)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				svc.HandleStanza(msg.Copy())
			}
		})
	}
}

// benchRouters are the two ways a stanza can reach the server, each
// serialising what it gets into one reused buffer as c2s does: a plain
// router (an addressed copy per recipient, encoded with AppendTo as
// Session.Send does) and an AddressedRouter, as the server is.
func benchRouters() []struct {
	name   string
	router component.Router
} {
	var buf []byte
	return []struct {
		name   string
		router component.Router
	}{
		{"Route", component.RouterFunc(func(st *xmlnode.Element) {
			buf = st.AppendTo(buf[:0], nsClient)
		})},
		{"RouteTo", encodingRouter{&buf}},
	}
}

// fillBenchRoom has n users join bench@, the first making it an instant
// room.
func fillBenchRoom(b *testing.B, svc *Service, n int) {
	b.Helper()
	for i := range n {
		svc.HandleStanza(parse(b, fmt.Sprintf(`<presence from='u%d@localhost/r' to='bench@conference.localhost/U%d'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, i, i)))
		if i == 0 {
			svc.HandleStanza(parse(b, `<iq from='u0@localhost/r' type='set' id='c' to='bench@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`))
		}
	}
}

// encodingRouter is an AddressedRouter that serialises what it is given
// into *buf, as c2s does: Send for Route, SendTo for RouteTo.
type encodingRouter struct{ buf *[]byte }

func (r encodingRouter) Route(st *xmlnode.Element) {
	*r.buf = st.AppendTo((*r.buf)[:0], nsClient)
}

func (r encodingRouter) RouteTo(st *xmlnode.Element, to string) {
	*r.buf = st.AppendToAttr((*r.buf)[:0], nsClient, "to", to)
}

// BenchmarkJoinLeave measures a join and a leave in a room of 100, through
// a plain router ("Route", an addressed copy per recipient) and through an
// AddressedRouter ("RouteTo", as the server is), each stanza serialised as
// c2s does.
func BenchmarkJoinLeave(b *testing.B) {
	for _, r := range benchRouters() {
		b.Run(r.name, func(b *testing.B) {
			svc := New(Config{Domain: service, Router: r.router})
			fillBenchRoom(b, svc, 100)
			join := parse(b, `<presence from='x@localhost/r' to='bench@conference.localhost/X'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`)
			leave := parse(b, `<presence from='x@localhost/r' type='unavailable' to='bench@conference.localhost/X'/>`)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				svc.HandleStanza(join.Copy())
				svc.HandleStanza(leave.Copy())
			}
		})
	}
}
