package upload_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/disco"
	uploadmod "github.com/muctest/muctest/mod/upload"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/upload"
	"github.com/muctest/muctest/web"
)

func TestSlotsAndDisco(t *testing.T) {
	s := moduletest.New(t, disco.Module{}, uploadmod.Module{Config: upload.Config{MaxFileSize: 1000, AllowedTypes: []string{"text/plain"}}})
	alice := s.Login("alice@localhost/phone")
	tests := []struct{ name, send, want string }{
		{"disco info",
			`<iq type="get" id="i" to="upload.localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
			`<iq type="result" id="i" from="upload.localhost"><query xmlns="http://jabber.org/protocol/disco#info">` +
				`<identity category="store" type="file" name="HTTP File Upload"/>` +
				`<feature var="http://jabber.org/protocol/disco#info"/><feature var="urn:xmpp:http:upload:0"/>` +
				`<x xmlns="jabber:x:data" type="result"><field type="hidden" var="FORM_TYPE"><value>urn:xmpp:http:upload:0</value></field>` +
				`<field var="max-file-size"><value>1000</value></field></x></query></iq>`},
		{"listed on the server",
			`<iq type="get" id="it" to="localhost"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
			`<iq type="result" id="it" from="localhost"><query xmlns="http://jabber.org/protocol/disco#items"><item jid="upload.localhost"/></query></iq>`},
		{"too large",
			`<iq type="get" id="big" to="upload.localhost"><request xmlns="urn:xmpp:http:upload:0" filename="a.txt" size="1001" content-type="text/plain"/></iq>`,
			`<iq type="error" id="big" from="upload.localhost"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
				`<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">File too large</text>` +
				`<file-too-large xmlns="urn:xmpp:http:upload:0"><max-file-size>1000</max-file-size></file-too-large></error></iq>`},
		{"unknown payload",
			`<iq type="get" id="u" to="upload.localhost"><query xmlns="jabber:iq:version"/></iq>`,
			`<iq type="error" id="u" from="upload.localhost"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := alice.In(t)
			c.Send(tt.send)
			c.Expect(tt.want)
		})
	}
}

// TestUploadOverHTTP asks for a slot over XMPP and uses it over the HTTP
// routes the module registered, as a client does.
func TestUploadOverHTTP(t *testing.T) {
	var h http.Handler // the router's mux, once it exists
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	s := moduletest.New(t, uploadmod.Module{Config: upload.Config{BaseURL: srv.URL}})
	h, err := web.Mux(s.Router.Registrar())
	if err != nil {
		t.Fatal(err)
	}
	alice := s.Login("alice@localhost/phone")
	alice.Send(`<iq type="get" id="s" to="upload.localhost"><request xmlns="urn:xmpp:http:upload:0" filename="hello.txt" size="5" content-type="text/plain"/></iq>`)
	got := alice.Received()
	if len(got) != 1 || got[0].Attrib("type") != "result" {
		t.Fatalf("slot request answered %v", got)
	}
	slot := got[0].Child(upload.NS, "slot")
	put := slot.Child(upload.NS, "put")
	req, _ := http.NewRequest("PUT", put.Attrib("url"), strings.NewReader("hello"))
	req.Header.Set("Authorization", put.Child(upload.NS, "header").Text())
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %s", resp.Status)
	}
	resp, err = http.Get(slot.Child(upload.NS, "get").Attrib("url"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello" {
		t.Fatalf("GET: %s %q", resp.Status, body)
	}
}
