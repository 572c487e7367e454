package xmlscan

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

var headers = []string{
	`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
	`<?xml version='1.0'?><s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:server' xmlns:p='urn:p' xml:lang='en'>`,
	`<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`,
}

var limits = []xmlnode.Limits{
	{},
	{MaxDepth: 3, MaxAttrs: 2, MaxElements: 6, MaxTreeBytes: 500},
	{MaxDepth: 64, MaxAttrs: 64, Declared: []string{"jabber:client", "http://etherx.jabber.org/streams"}},
	{Declared: []string{}},
}

// elements are what follows a header in the tests and the fuzz seeds.
var elements = []string{
	`<message to="a@b" type='chat'><body>hi &amp; &lt;x&gt; &apos;&quot; é 日本</body></message>`,
	`<presence><x xmlns="http://jabber.org/protocol/muc#user"><item jid="a@b/c" role="moderator"/><status code="110"/></x></presence>`,
	`<message xml:lang="fr"><p:x xmlns:p="urn:p" p:a="1" b="2"><p:y/><z xmlns=""/></p:x><q:w/></message>`,
	`<iq xmlns:p="urn:a"><p:y xmlns:p="urn:b" p:c="1"/><p:z/></iq>`,
	`<a x="1" y="2" z="3"/>`, `<a><b><c><d/></c></b></a>`, `<a><b/><b/><b/><b/><b/><b/><b/></a>`,
	`<a>` + strings.Repeat("t", 600) + `</a>`,
	`<message a="1" a="2"/>`, `<message xmlns:q="urn:q" q:a="1" q:a="2"/>`, `<m xmlns:p="xmlns" p:a="1"/>`,
	`<m xmlns:p="" p:xmlns="1"/>`, `<xml:a xml:b="1"/>`, `<m xmlns:xml="urn:x" xml:a="1"/>`,
	`<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`,
	`<m>&#65;</m>`, `<m>&nbsp;</m>`, `<m>&amp</m>`, `<m>&lt x</m>`, `<m a='&amp;&gt;x'/>`, `<m a='&x;'/>`,
	`<m><![CDATA[x]]></m>`, `<m><!--c--></m>`, `<m><?p?></m>`, "<m>a\rb</m>", "<m>\xff</m>", "<m>\x01</m>",
	`<m>]]></m>`, `<m a="<"/>`, `<m></n>`, `<m></m >`, `<m/ >`, `<mé/>`, `<a:b:c/>`, `<p:0/>`, `<xmlns/>`,
	"<m>\xff&amp;</m>", "<m a='\xff&amp;x'/>", "<m>&amp;]]></m>", "<m>\xed\xa0\x80&lt;</m>",
	`</stream:stream>`, `</s:stream>`, `</stream:streamx>`, ` <m/>`, `x<m/>`,
}

// byteReader is the input of a decoder, byte by byte (so that
// encoding/xml reads no further than it needs), noting whether the decoder
// asked for more than there is: a decoder on a stream would have waited
// for more input there, whatever it says when told the input has ended.
type byteReader struct {
	b     []byte
	asked bool
}

func (r *byteReader) ReadByte() (byte, error) {
	if len(r.b) == 0 {
		r.asked = true
		return 0, io.EOF
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}

func (r *byteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = c
	return 1, nil
}

// decode reads the element after header with encoding/xml and
// xmlnode.Read as a stream reader would, and describes the outcome:
// "waiting" when it needed more input than body.
func decode(header, body []byte, lim xmlnode.Limits) string {
	r := &byteReader{b: append(slices.Clip(header), body...)}
	out := decodeFrom(r, lim)
	if r.asked {
		return "waiting"
	}
	return out
}

func decodeFrom(r *byteReader, lim xmlnode.Limits) string {
	d := xml.NewDecoder(r)
	d.Strict = true
	for {
		tok, err := d.Token()
		if err != nil {
			return "header error"
		}
		if _, ok := tok.(xml.StartElement); ok {
			break
		}
	}
	for {
		tok, err := d.Token()
		if err != nil {
			return errClass(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			el, err := xmlnode.Read(d, t, lim)
			if err != nil {
				return errClass(err)
			}
			return fmt.Sprintf("%#v", tree(el))
		case xml.EndElement:
			return "end"
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return "text"
			}
		default:
			return "restricted"
		}
	}
}

func errClass(err error) string {
	var syn *xml.SyntaxError
	if errors.As(err, &syn) && strings.HasPrefix(syn.Msg, "unexpected EOF") {
		return "unexpected EOF"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected EOF"
	}
	return "error"
}

func tree(el *xmlnode.Element) any {
	type node struct {
		Name     xml.Name
		Attr     []xml.Attr
		Children []any
	}
	n := node{Name: el.Name, Attr: el.Attr}
	for _, c := range el.Children {
		switch c := c.(type) {
		case *xmlnode.Element:
			n.Children = append(n.Children, tree(c))
		case xmlnode.Text:
			n.Children = append(n.Children, string(c))
		}
	}
	return n
}

// check parses body after header with the parser and, where it decides,
// wants what encoding/xml decides: the same tree for Parsed, the closing
// tag for End, and for NeedMore an element cut off by the end of the input
// rather than any error encoding/xml would have found in what it read
// (which would make a reader that waits on NeedMore late with it). Every
// prefix of body is checked the same way.
func check(t *testing.T, header, body []byte, lim xmlnode.Limits) {
	t.Helper()
	var p Parser
	st, _, n, oc := p.Header(header)
	if oc != Parsed || n != len(header) {
		return // the readers' own tests compare headers
	}
	for k := len(body); k >= 0; k-- {
		b := body[:k]
		el, n, oc := p.Next(st, lim, b)
		if oc == Fallback {
			continue // encoding/xml decides: nothing to compare
		}
		var got string
		read := b // what encoding/xml is to decide on
		switch oc {
		case Parsed:
			got = fmt.Sprintf("%#v", tree(el))
			// The decoder reads the same element; what follows is
			// not this comparison's.
			read = b[:n]
			if cap(el.Children) != len(el.Children) {
				t.Errorf("%q: children list of capacity %d for %d", b, cap(el.Children), len(el.Children))
			}
		case End:
			got = "end"
		case NeedMore:
			got = "waiting"
		}
		if want := decode(header, read, lim); got != want {
			t.Errorf("%q after %q under %+v:\n got %s\nwant %s", b, header, lim, got, want)
		}
	}
}

func TestParserMatchesRead(t *testing.T) {
	for _, h := range headers {
		for _, e := range elements {
			for _, lim := range limits {
				check(t, []byte(h), []byte(e), lim)
			}
		}
	}
}

// TestOutcomes pins what the parser takes itself: a parser that gave up
// on everyday stanzas would pass the comparison and save nothing, and one
// that waited where encoding/xml fails at once would delay stream errors.
func TestOutcomes(t *testing.T) {
	st, _, _, _ := new(Parser).Header([]byte(headers[0]))
	tests := []struct {
		in   string
		want Outcome
	}{
		{elements[0], Parsed},
		{elements[1], Parsed},
		{elements[2], Parsed},
		{`</stream:stream>`, End},
		{`</stream:str`, NeedMore},
		{`</stream:x`, Fallback},
		{`<m>&am`, NeedMore},
		{`<m>&amx`, Fallback},
		{`<m>&lt `, Fallback},
		{`<m>&#6`, Fallback},
		{`<m a='&quo`, NeedMore},
		{`<m><b>x</b`, NeedMore},
		{`<m><b>x</c`, Fallback},
		{`<m a="1" a="2">`, Fallback},
		{`<stream:stream>`, Fallback},
		{`<m><!-`, Fallback},
		{`<m`, NeedMore},
		{`<`, NeedMore},
	}
	var p Parser
	for _, tc := range tests {
		if _, _, got := p.Next(st, xmlnode.Limits{}, []byte(tc.in)); got != tc.want {
			t.Errorf("%q: outcome %d, want %d", tc.in, got, tc.want)
		}
	}
}

// TestNewStream checks that a header encoding/xml read gives the same
// Stream as one the parser read, and none for a header whose
// declarations encoding/xml's start element cannot tell.
func TestNewStream(t *testing.T) {
	for _, h := range headers {
		var p Parser
		st, start, _, oc := p.Header([]byte(h))
		if oc != Parsed {
			t.Fatalf("%q: %d", h, oc)
		}
		ns := NewStream(start, string(st.name))
		if !reflect.DeepEqual(ns.decls, st.decls) || !bytes.Equal(ns.name, st.name) {
			t.Errorf("%q: NewStream %+v, Header %+v", h, ns, st)
		}
	}
	d := xml.NewDecoder(strings.NewReader(`<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns:p='xmlns' p:q='1'>`))
	tok, _ := d.Token()
	if st := NewStream(tok.(xml.StartElement), "s:stream"); st != nil {
		t.Errorf("a header binding a prefix to xmlns gave %+v", st)
	}
}

func FuzzParser(f *testing.F) {
	for _, e := range elements {
		f.Add([]byte(e), uint8(0))
		f.Add([]byte(e), uint8(5))
	}
	f.Fuzz(func(t *testing.T, body []byte, opts uint8) {
		if len(body) > 1024 {
			return // every prefix is checked
		}
		check(t, []byte(headers[int(opts)%len(headers)]), body, limits[int(opts/4)%len(limits)])
	})
}

func BenchmarkParser(b *testing.B) {
	var p Parser
	st, _, _, _ := p.Header([]byte(headers[0]))
	in := []byte(elements[1])
	for b.Loop() {
		if _, _, oc := p.Next(st, xmlnode.Limits{MaxDepth: 64, MaxAttrs: 64}, in); oc != Parsed {
			b.Fatal(oc)
		}
	}
}
