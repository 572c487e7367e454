package c2s

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
)

// firstStart returns the first start element of doc and the decoder that
// read it, or false.
func firstStart(doc string) (xml.StartElement, *xml.Decoder, bool) {
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, nil, false
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Copy(), d, true
		}
	}
}

// declarations lists a start element's namespace declarations, sorted.
func declarations(se xml.StartElement) []string {
	var out []string
	for _, a := range se.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			out = append(out, a.Name.Local+"="+a.Value)
		}
	}
	slices.Sort(out)
	return out
}

// checkReplay checks the invariant restoreDecoder relies on: a decoder fed
// replayHeader's bytes sees the same element, namespace and declarations,
// and then the same stanzas, as one that read the client's header.
func checkReplay(t *testing.T, header, stanza string) {
	// The header must be the start tag and nothing more (what checkHeader
	// sees); bytes after it belong to the stanza part.
	if _, d, ok := firstStart(header); !ok || d.InputOffset() != int64(len(header)) {
		return
	}
	orig, od, ok := firstStart(header + stanza)
	if !ok || orig.Name.Space != NSStream || orig.Name.Local != "stream" {
		return
	}
	replay := replayHeader(orig)
	if replay == nil {
		return // the session keeps its decoder
	}
	got, rd, ok := firstStart(string(replay) + stanza)
	if !ok {
		t.Fatalf("replayed header %q does not parse (from %q)", replay, header)
	}
	if got.Name != orig.Name || !slices.Equal(declarations(got), declarations(orig)) {
		t.Fatalf("replayed %q as %v %v, want %v %v", replay, got.Name, declarations(got), orig.Name, declarations(orig))
	}
	for {
		ot, oerr := od.Token()
		rt, rerr := rd.Token()
		if (oerr == nil) != (rerr == nil) {
			t.Fatalf("after %q: original error %v, replay error %v", replay, oerr, rerr)
		}
		if oerr != nil {
			return
		}
		if ose, ok := ot.(xml.StartElement); ok {
			rse, _ := rt.(xml.StartElement)
			if ose.Name != rse.Name {
				t.Fatalf("after %q: %v read as %v", replay, ose.Name, rse.Name)
			}
		}
	}
}

func TestReplayHeader(t *testing.T) {
	stanza := `<message xmlns:e='urn:e'><e:x/><body>hi</body></message></stream:stream>`
	for _, h := range []string{
		`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`,
		`<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' xmlns:e='urn:e' xml:lang='en'>`,
		`<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client'>`,
		`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:q='a&quot;b&lt;&amp;'>`,
	} {
		checkReplay(t, h, stanza)
		if r := replayHeader(mustStart(t, h)); r == nil {
			t.Errorf("no replay for %q", h)
		}
	}
	// The stream namespace under two prefixes: which one the element used
	// is lost, so the session keeps its decoder.
	if r := replayHeader(mustStart(t, `<a:stream xmlns:a='http://etherx.jabber.org/streams' xmlns:b='http://etherx.jabber.org/streams' xmlns='jabber:client'>`)); r != nil {
		t.Errorf("replay %q for an ambiguous stream prefix", r)
	}
	if r := replayHeader(mustStart(t, `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`)); &r[0] != &standardHeader[0] {
		t.Error("the usual header is not shared")
	}
}

func mustStart(t *testing.T, h string) xml.StartElement {
	t.Helper()
	se, _, ok := firstStart(h)
	if !ok {
		t.Fatalf("bad header %q", h)
	}
	return se
}

func FuzzReplayHeader(f *testing.F) {
	f.Add(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`, `<message/>`)
	f.Add(`<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' xmlns:p='u'>`, `<p:x p:a='1'/></s:stream>`)
	f.Fuzz(func(t *testing.T, header, stanza string) {
		checkReplay(t, header, stanza)
	})
}
