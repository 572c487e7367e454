package server_test

import (
	"encoding/xml"
	"testing"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

const nsSM = "urn:example:sm"

// streamModule offers a stream feature and answers a top-level element on
// bound sessions, the shape of XEP-0198, plus a second component.
var streamModule = module.New("stream-example", func(r *module.Registrar) error {
	r.StreamFeature(module.StreamFeature{Offer: func(c2sapi.Session) *xmlnode.Element { return xmlnode.New(nsSM, "sm") }})
	r.StreamElement(module.StreamElement{Name: xml.Name{Space: nsSM, Local: "r"}, Stage: c2sapi.Bound,
		Handle: func(s c2sapi.Session, el *xmlnode.Element) error {
			s.Send(xmlnode.New(nsSM, "a", "h", "0"))
			return nil
		}})
	r.Component("echo.localhost", component.HandlerFunc(func(*xmlnode.Element) {}))
	return nil
})

// TestModuleStreamExtensions: a module's stream feature is offered after
// authentication (with bind and the default modules' session and roster
// versioning), its top-level element is answered on a bound session, an
// unknown one still ends the stream, and its component is a disco item.
func TestModuleStreamExtensions(t *testing.T) {
	srv := servertest.New(t, server.Config{Modules: []module.Module{streamModule}})
	c := dialRaw(t, srv)
	c.Open(servertest.StreamHeader)
	if a := c.Plain("user", password); a.Name.Local != "success" {
		t.Fatalf("auth: %s", a)
	}
	c.Restart()
	f := c.Open(servertest.StreamHeader)
	for _, n := range []xml.Name{{Space: "urn:ietf:params:xml:ns:xmpp-bind", Local: "bind"},
		{Space: "urn:ietf:params:xml:ns:xmpp-session", Local: "session"},
		{Space: "urn:xmpp:features:rosterver", Local: "ver"}, {Space: nsSM, Local: "sm"}} {
		if f.Child(n.Space, n.Local) == nil {
			t.Errorf("features %s lack {%s}%s", f, n.Space, n.Local)
		}
	}
	c.Send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")
	c.Next()
	c.Send(`<r xmlns="urn:example:sm"/>`)
	c.expect(`<a xmlns="urn:example:sm" h="0"/>`)
	c.Send(`<iq type="get" id="i" to="localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`)
	c.expect(`<iq type="result" id="i" from="localhost"><query xmlns="http://jabber.org/protocol/disco#items">
		<item jid="upload.localhost"/><item jid="echo.localhost"/><item jid="conference.localhost"/><item jid="pubsub.localhost"/></query></iq>`)
	c.Send(`<other xmlns="urn:example:sm"/>`)
	c.expectStreamError("unsupported-stanza-type")
}

// TestWithout: a default module left out is gone from the server, disco
// included; naming one that does not exist is an error from New.
func TestWithout(t *testing.T) {
	srv := servertest.New(t, server.Config{Without: []string{"carbons", "version"}})
	c := dialRaw(t, srv).login("user", "")
	c.Send(`<iq type="set" id="c"><enable xmlns="urn:xmpp:carbons:2"/></iq>`)
	c.expect(`<iq type="error" id="c"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`)
	c.Send(`<iq type="get" id="d" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`)
	info := c.expect(`<iq type="result" id="d"/>`)
	for _, f := range info.Child("http://jabber.org/protocol/disco#info", "query").Elements() {
		if v := f.Attrib("var"); v == "urn:xmpp:carbons:2" || v == "jabber:iq:version" {
			t.Errorf("disco still advertises %s", v)
		}
	}
	if _, err := server.New(server.Config{Without: []string{"no-such-module"}}); err == nil {
		t.Error("New accepted Without naming no default module")
	}
	if _, err := server.New(server.Config{Modules: []module.Module{streamModule, streamModule}}); err == nil {
		t.Error("New accepted the same module twice")
	}
}
