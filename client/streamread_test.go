package client

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
	"github.com/muctest/muctest/xmlscan"
)

// streamHeader is a server's stream header as Prosody and muctest write it.
const testHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0' xml:lang='en'>`

// streamCases are server streams the fast path and encoding/xml must read
// alike: what servers send, and everything the fast path leaves to
// encoding/xml (which must then give the same tree or the same error).
var streamCases = []string{
	testHeader + `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`,
	testHeader + `<message from="a@b/c" to='d@e' type="chat"><body>hi &amp; &lt;bye&gt; &apos;x&quot;</body></message>` + "\n " + `<iq type="result" id="1"/></stream:stream>`,
	testHeader + `<presence from="room@conference.localhost/Romeo"><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="owner" role="moderator" jid="romeo@localhost/garden"/><status code="110"/></x></presence>`,
	testHeader + `<message><body>Café — 日本語 🎭</body><x a="é"/></message>`,
	testHeader + `<message xml:lang="fr"><p:x xmlns:p="urn:p" p:a="1" b="2"><p:y/><z xmlns=""/></p:x><u:v/></message>`,
	testHeader + `<message><x xmlns:p="urn:a"><p:y xmlns:p="urn:b"/><p:z/></x><p:w/></message>`,
	testHeader + `<message a='1'b="2"/>`,
	testHeader + `<message><body> </body>  text <b/> more </message>`,
	testHeader + `<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Replaced</text></stream:error></stream:stream>`,
	// What the fast path leaves to encoding/xml.
	testHeader + `<message><body>a&#65;&#x42;c</body></message>`,
	testHeader + `<message><body>a&#0;</body></message>`,
	testHeader + `<message><body><![CDATA[<x>]]>tail</body></message>`,
	testHeader + `<message><!-- c --><body/></message>`,
	testHeader + `<message><?pi x?></message>`,
	testHeader + `<!-- between --><message/>`,
	testHeader + `junk<message/>`,
	testHeader + "<message><body>a\r\nb\rc</body></message>",
	testHeader + "<message a='x\ry'/>",
	testHeader + `<message><body>a]]>b</body></message>`,
	testHeader + `<message><body>&nbsp;</body></message>`,
	testHeader + `<message><body>&amp</body></message>`,
	testHeader + `<message><body>&lt ;</body></message>`,
	testHeader + `<message a="<"/>`,
	testHeader + `<message a=1/>`,
	testHeader + `<message a/>`,
	testHeader + `<message></messag>`,
	testHeader + `<message></message >`,
	testHeader + `<message></messagex>`,
	testHeader + `<message><a></b></message>`,
	testHeader + `<p:message xmlns:p="jabber:client"></message>`,
	testHeader + `<message/ >`,
	testHeader + `<mé/>`,
	testHeader + `<a:b:c/>`,
	testHeader + `<p:0/>`,
	testHeader + `<xmlns/>`,
	testHeader + `<xmlns:a/>`,
	testHeader + `<xml:a xml:b="1"/>`,
	testHeader + `<message xmlns:xml="urn:x" xml:a="1"/>`,
	testHeader + "<message><body>\x01</body></message>",
	testHeader + "<message><body>\xff</body></message>",
	testHeader + "<message><body>\xff&amp;</body></message>",
	testHeader + "<message a='\xf4&quot;'/>",
	testHeader + "<message><body>\xef\xbf\xbe</body></message>",
	testHeader + "<message><body>\xed\xa0\x80</body></message>",
	testHeader + `<a><b><c><d><e><f/></e></d></c></b></a>`,
	testHeader + `<a x="1" y="2" z="3" w="4"/>`,
	testHeader + `<a><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/></a>`,
	testHeader + `<message>`,
	testHeader + `<message`,
	testHeader + `</stream:streamx>`,
	testHeader + `</stream>`,
	testHeader + `<message/></stream:stream><message/>`,
	// Headers.
	`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message/>`,
	"  \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message/>",
	`<?xml version='1.1'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>`,
	`<?xml version='1.0' encoding='latin1'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`,
	`<?xml version='1.0' standalone='yes'?><s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='x'><handshake/></s:stream>`,
	`<!-- c --><stream:stream xmlns:stream='http://etherx.jabber.org/streams'><message/>`,
	`<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>`,
	`<stream xmlns='http://etherx.jabber.org/streams'><message/></stream>`,
	`<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='urn:p' p:a='1' xml:lang='en'><p:x/>`,
	`<stream:stream>`,
	``,
	`   `,
	`<?xml version='1.0'?>`,
	// Elements for encoding/xml between ones for the fast path, in one
	// stream: the slow decoder is kept from one to the next.
	testHeader + `<a/><b><!-- c --></b><p:c xmlns:p="urn:p"/><d>&#65;</d>` + "\n" + `<e x="1"/><f><![CDATA[<g/>]]></f><h/></stream:stream>`,
	// Elements larger than a read, small and large ones around them.
	testHeader + `<iq id="1"/><message><body>` + strings.Repeat("z&amp;", 6000) + `</body></message><iq id="2"/>`,
	testHeader + `<iq id="1"/><message><body a="` + strings.Repeat("é", 5000) + `">` + strings.Repeat("<x/>", 3000) + `</body></message><iq id="2"/>`,
}

// streamLimits are the limits the cases run under: the client's defaults
// and tight ones that the test inputs reach.
var streamLimits = []xmlnode.Limits{
	{MaxDepth: 64, MaxAttrs: 256},
	{MaxDepth: 4, MaxAttrs: 3, MaxElements: 10},
	{MaxDepth: 64, MaxAttrs: 256, Declared: []string{"jabber:client"}},
	{MaxDepth: 64, MaxAttrs: 256, MaxTreeBytes: 600},
}

// readAll reads a whole stream as the client does: the header, then
// elements up to the first error. slow reads it with encoding/xml alone,
// as the client did before streamReader; the others through a
// streamReader fed chunk bytes per read.
func readAll(input []byte, lim xmlnode.Limits, slow bool, chunk int) []string {
	var out []string
	add := func(v any, err error) bool {
		if err != nil {
			out = append(out, "error: "+errText(err))
			return false
		}
		out = append(out, fmt.Sprintf("%#v", v))
		return true
	}
	if slow {
		d := xml.NewDecoder(bytes.NewReader(input))
		d.Strict = true
		for {
			tok, err := d.Token()
			if err != nil {
				add(nil, err)
				return out
			}
			if t, ok := tok.(xml.StartElement); ok {
				add(t, nil)
				break
			}
		}
		for {
			el, err := xmlnode.ReadNext(d, lim)
			if !add(tree(el), err) {
				return out
			}
		}
	}
	sr := newStreamReader(&chunked{b: input, n: chunk}, lim)
	t, err := sr.readHeader()
	if !add(t, err) {
		return out
	}
	for {
		el, err := sr.next()
		if !add(tree(el), err) {
			return out
		}
	}
}

// tree is el with its structure spelled out, for comparing.
func tree(el *xmlnode.Element) any {
	if el == nil {
		return nil
	}
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

var lineNo = regexp.MustCompile(`line \d+`)

// errText is an error's message without its line number, which differs
// when encoding/xml is shown the header again; and which sentinel it is.
func errText(err error) string {
	s := lineNo.ReplaceAllString(err.Error(), "line N")
	switch {
	case errors.Is(err, xmlnode.ErrEnd):
		s += " [ErrEnd]"
	case errors.Is(err, io.EOF):
		s += " [EOF]"
	}
	return s
}

// chunked reads b at most n bytes at a time (all of it when n <= 0).
type chunked struct {
	b []byte
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	if c.n > 0 && len(p) > c.n {
		p = p[:c.n]
	}
	n := copy(p, c.b)
	c.b = c.b[n:]
	return n, nil
}

func checkStream(t *testing.T, input []byte, lim xmlnode.Limits, chunk int) {
	t.Helper()
	checkStreamAgainst(t, input, lim, chunk, readAll(input, lim, true, 0))
}

// checkStreamAgainst is checkStream with encoding/xml's reading of input
// (readAll's slow path, which does not depend on chunk) already made.
func checkStreamAgainst(t *testing.T, input []byte, lim xmlnode.Limits, chunk int, want []string) {
	t.Helper()
	got := readAll(input, lim, false, chunk)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("input %q, limits %+v, chunk %d:\n got %s\nwant %s", input, lim, chunk, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// TestStreamReaderMatchesEncodingXML reads every case with the fast path
// and with encoding/xml alone, in reads of several sizes (one byte at a
// time makes every element end past the buffer, and so go to encoding/xml
// after the retries), and wants the same header, trees and errors. It
// runs in parallel, on a core while the other tests wait on their sockets.
func TestStreamReaderMatchesEncodingXML(t *testing.T) {
	t.Parallel()
	for _, c := range streamCases {
		for _, lim := range streamLimits {
			want := readAll([]byte(c), lim, true, 0) // once for every chunk size
			for _, chunk := range []int{0, 1, 7, 100} {
				checkStreamAgainst(t, []byte(c), lim, chunk, want)
			}
		}
	}
}

// TestStreamReaderFastPath checks that what servers send is parsed
// without encoding/xml, which is the point of the reader: a case that
// silently took the slow path would pass the comparison above and save
// nothing.
func TestStreamReaderFastPath(t *testing.T) {
	for _, c := range streamCases[:9] {
		sr := newStreamReader(strings.NewReader(c), xmlnode.Limits{MaxDepth: 64, MaxAttrs: 256})
		if _, err := sr.readHeader(); err != nil {
			t.Fatalf("%q: header: %v", c, err)
		}
		if sr.dec != nil {
			t.Errorf("%q: the header went to encoding/xml", c)
		}
		for {
			b := sr.buf[sr.pos:sr.end]
			if _, _, oc := sr.p.Next(sr.st, sr.lim, b); oc != xmlscan.Parsed && oc != xmlscan.End && len(bytes.TrimSpace(b)) > 0 {
				t.Errorf("%q: %q was not parsed by the fast path", c, b)
			}
			if _, err := sr.next(); err != nil {
				break
			}
		}
	}
}

// TestStreamReaderRestart reads two streams back to back from one reader,
// as after SASL with pipelined input: the second header and its features
// were already buffered behind the first stream's last element.
func TestStreamReaderRestart(t *testing.T) {
	in := testHeader + `<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>` + testHeader + `<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features><iq type='result' id='bind1'/>`
	sr := newStreamReader(strings.NewReader(in), xmlnode.Limits{MaxDepth: 64, MaxAttrs: 256})
	var names []string
	for range 2 {
		if _, err := sr.readHeader(); err != nil {
			t.Fatal(err)
		}
		for {
			el, err := sr.next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "unexpected EOF") {
					t.Fatal(err)
				}
				break
			}
			names = append(names, el.Name.Local)
			if el.Name.Local == "success" {
				break
			}
		}
	}
	if got := strings.Join(names, " "); got != "success features iq" {
		t.Errorf("got %q", got)
	}
}

func FuzzStreamReader(f *testing.F) {
	for _, c := range streamCases {
		f.Add([]byte(c), uint8(0), uint8(0))
		f.Add([]byte(c), uint8(7), uint8(1))
	}
	f.Fuzz(func(t *testing.T, input []byte, chunk, lim uint8) {
		checkStream(t, input, streamLimits[int(lim)%len(streamLimits)], int(chunk))
	})
}

// BenchmarkStreamReader compares reading a typical MUC join's stanzas, and
// 16 KiB messages in 4 KiB reads (the large-element path), with the fast
// path and with encoding/xml.
func BenchmarkStreamReader(b *testing.B) {
	join := strings.Repeat(`<presence from="room@conference.localhost/Romeo" to="juliet@localhost/balcony"><x xmlns="vcard-temp:x:update"><photo/></x><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="http://code.google.com/p/exodus" ver="QgayPKawpkPSDYmwT/WM94uAlu0="/><x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="owner" role="moderator" jid="romeo@localhost/garden"/><status code="110"/></x></presence><message type="groupchat" from="room@conference.localhost/Romeo"><body>Hello &amp; welcome</body></message>`, 20)
	big := strings.Repeat(`<message type="error" from="mallory@localhost/x"><body>`+strings.Repeat("z", 16<<10)+`</body><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`, 20)
	lim := xmlnode.Limits{MaxDepth: 64, MaxAttrs: 256}
	for _, in := range []struct {
		name  string
		body  string
		chunk int
	}{{"join", join, 0}, {"16KiB-in-4KiB-reads", big, 4096}} {
		input := []byte(testHeader + in.body)
		for _, slow := range []bool{false, true} {
			b.Run(in.name+map[bool]string{false: "/fast", true: "/encoding-xml"}[slow], func(b *testing.B) {
				b.SetBytes(int64(len(input)))
				b.ReportAllocs()
				for b.Loop() {
					if slow {
						d := xml.NewDecoder(bufio.NewReaderSize(&chunked{b: input, n: in.chunk}, 16<<10))
						d.Strict = true
						d.Token()
						for {
							if _, err := xmlnode.ReadNext(d, lim); err != nil {
								break
							}
						}
						continue
					}
					sr := newStreamReader(&chunked{b: input, n: in.chunk}, lim)
					sr.readHeader()
					for {
						if _, err := sr.next(); err != nil {
							break
						}
					}
					sr.release()
				}
			})
		}
	}
}
