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
	for i := range 100 {
		st := parse(b, fmt.Sprintf(`<presence from='u%d@localhost/r' to='bench@conference.localhost/U%d'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, i, i))
		svc.HandleStanza(st)
		if i == 0 {
			svc.HandleStanza(parse(b, `<iq from='u0@localhost/r' type='set' id='c' to='bench@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`))
		}
	}
	msg := parse(b, `<message from='u1@localhost/r' type='groupchat' id='m' to='bench@conference.localhost'><body>Hello, room!</body></message>`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		svc.HandleStanza(msg.Copy())
	}
}

// BenchmarkGroupchatDelivered is BenchmarkGroupchat with each routed copy
// also serialised the way c2s.Session.Send does (AppendTo into a reused
// buffer, in a jabber:client stream): the CPU a broadcast costs the server
// per message, serialisation included, without sockets.
func BenchmarkGroupchatDelivered(b *testing.B) {
	var buf []byte
	svc := New(Config{Domain: service, Router: component.RouterFunc(func(st *xmlnode.Element) {
		buf = st.AppendTo(buf[:0], nsClient)
	})})
	for i := range 100 {
		st := parse(b, fmt.Sprintf(`<presence from='u%d@localhost/r' to='bench@conference.localhost/U%d'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, i, i))
		svc.HandleStanza(st)
		if i == 0 {
			svc.HandleStanza(parse(b, `<iq from='u0@localhost/r' type='set' id='c' to='bench@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`))
		}
	}
	// What mucbench sends: a body with a marker, a client's origin-id.
	msg := parse(b, `<message from='u1@localhost/r' type='groupchat' id='m' to='bench@conference.localhost'><body>#mb:u1:17:1732901234567890123#</body><origin-id xmlns='urn:xmpp:sid:0' id='4f1c2e'/></message>`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		svc.HandleStanza(msg.Copy())
	}
}

// BenchmarkJoinLeave measures a join and a leave in a room of 100.
func BenchmarkJoinLeave(b *testing.B) {
	svc := New(Config{Domain: service, Router: component.RouterFunc(func(*xmlnode.Element) {})})
	for i := range 100 {
		svc.HandleStanza(parse(b, fmt.Sprintf(`<presence from='u%d@localhost/r' to='bench@conference.localhost/U%d'><x xmlns='http://jabber.org/protocol/muc'/></presence>`, i, i)))
		if i == 0 {
			svc.HandleStanza(parse(b, `<iq from='u0@localhost/r' type='set' id='c' to='bench@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>`))
		}
	}
	join := parse(b, `<presence from='x@localhost/r' to='bench@conference.localhost/X'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`)
	leave := parse(b, `<presence from='x@localhost/r' type='unavailable' to='bench@conference.localhost/X'/>`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		svc.HandleStanza(join.Copy())
		svc.HandleStanza(leave.Copy())
	}
}
