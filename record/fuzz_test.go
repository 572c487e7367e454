package record

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/xmlnode"
)

// FuzzRender checks the rendering's one promise whatever the clients and
// the server send: the script parses, so a recording never ends in a file
// the runner refuses.
func FuzzRender(f *testing.F) {
	for _, s := range []string{
		`<message xmlns='jabber:client' to='juliet@localhost/x1y2' id='m1'><body>hi ${x} &amp; "q"</body></message>`,
		`<iq xmlns='jabber:client' type='get' id='q'><query xmlns='jabber:iq:roster'/></iq>`,
		`<presence xmlns='jabber:client' xml:lang='en'><x xmlns='urn:x' a:b='1' xmlns:a='urn:a'/></presence>`,
		`<message xmlns='jabber:client'><body>line&#10;two&#9;tab</body><x xmlns='jabber:x:data'><field type='list-multi'/></x></message>`,
		`<message xmlns='jabber:client'>text<b/>more</message>`,
		`<iq xmlns='jabber:client' type='result' id='2026-01-02T03:04:05Z'><t xmlns='urn:t'>2026-01-02T03:04:05Z</t></iq>`,
	} {
		f.Add(s, "romeo@localhost/balcony", "pw")
	}
	f.Fuzz(func(t *testing.T, stanza, jid, password string) {
		el, err := xmlnode.Parse(stanza)
		if err != nil {
			return
		}
		f := newFixture()
		f.romeo.JID = jid
		f.romeo.Password = password
		f.romeo.Resource = ""
		f.rec.Title = password
		f.rec.Upstream = jid
		f.add(Connected, f.romeo, "").add(Connected, f.juliet, "")
		f.rec.Events = append(f.rec.Events,
			Event{Kind: Sent, Client: f.romeo, Stanza: el},
			Event{Kind: Received, Client: f.juliet, Stanza: el},
			Event{Kind: Received, Client: f.romeo, Stanza: el},
			Event{Kind: Disconnected, Client: f.romeo, StreamError: password})
		out := f.rec.Render()
		if _, err := script.Parse("fuzz.scs", bytes.NewReader(out)); err != nil {
			// Only what a script cannot say at all may fail: a JID
			// or password the header cannot hold.
			if validHeader(jid, password) {
				t.Fatalf("the rendered script does not parse: %v\n%s", err, out)
			}
		}
	})
}

// validHeader says whether a client's JID and password can be written in
// a script header at all (one line each, a user@domain JID).
func validHeader(jid, password string) bool {
	for _, s := range []string{jid, password} {
		if bytes.ContainsAny([]byte(s), "\r\n\x00") || len(bytes.TrimSpace([]byte(s))) != len(s) || s == "" {
			return false
		}
	}
	// A JID the stream carried is UTF-8 of XML characters; the script
	// parser refuses anything else.
	if !utf8.ValidString(jid) || strings.ContainsFunc(jid, func(r rune) bool { return r < 0x20 || r == 0xFFFE || r == 0xFFFF }) {
		return false
	}
	at := bytes.IndexByte([]byte(jid), '@')
	slash := bytes.IndexByte([]byte(jid), '/')
	return at > 0 && at < len(jid)-1 && (slash < 0 || slash > at+1) && bytes.Count([]byte(jid), []byte("@")) == 1 &&
		!bytes.ContainsAny([]byte(jid), " \t<>&\"'${}")
}

// FuzzStreamReader feeds arbitrary bytes to the proxy's stream reader: it
// must never panic, must stop at its limits, and must end.
func FuzzStreamReader(f *testing.F) {
	f.Add([]byte("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost'><message/> <iq/></stream:stream>"))
	f.Add([]byte("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><a><b><c><d><e/></d></c></b></a>"))
	f.Add([]byte("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>text<a/>"))
	f.Add([]byte("<!-- c --><?pi?><!DOCTYPE x>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newStreamReader(bytes.NewReader(data), 512, xmlnode.Limits{MaxDepth: 4, MaxAttrs: 8})
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more items than bytes in %q", data)
			}
			it, err := r.next()
			if err != nil {
				// Any error ends the stream: EOF, a limit, bad XML.
				return
			}
			if it.kind == itemElement && it.el == nil {
				t.Fatal("an element item without an element")
			}
		}
	})
}
