package c2s

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// discardConn is the connection of a session read by readStream: it
// takes writes (the stream header and errors readHeader writes) and
// deadlines, and nothing else.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) SetReadDeadline(time.Time) error  { return nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }
func (discardConn) SetDeadline(time.Time) error      { return nil }

// readLimits are the limits the comparison runs under: the defaults, tight
// ones the inputs reach, and a small in-flight budget (inflight is its
// size, 0 for the default).
var readLimits = []struct {
	lim      Limits
	inflight int64
}{
	{Limits{}, 0},
	{Limits{MaxUnauthedStanzaBytes: 300, MaxDepth: 4, MaxAttrs: 3, MaxElements: 10, MaxTreeBytes: 700, MaxHeaderNamespaces: 4}, 0},
	{Limits{MaxUnauthedStanzaBytes: 40000, MaxTreeBytes: 1 << 20}, 4096},
	{Limits{MaxUnauthedStanzaBytes: 700, MaxTreeBytes: 500}, 0},
}

// readStream reads a client's stream (header, then top-level elements up
// to the first error) as a session does, fed chunk bytes per read, and
// describes what it read: each element's tree and the in-flight budget it
// holds, then the error as the session classifies it. fast false takes
// the one-pass parser away, which leaves every element to the decoder as
// before it existed; park drops the decoder and the buffers whenever the
// session could park.
func readStream(input []byte, lc int, chunk int, fast, park bool) []string {
	cfg := &Config{Domain: "localhost", InFlight: NewBudget(readLimits[lc].inflight, DefaultMaxInFlightBytes)}
	s := &Session{cfg: cfg, limits: sharedLimits(readLimits[lc].lim), log: discardLogger, raw: discardConn{}, conn: discardConn{}}
	s.setReader(&chunkedReader{b: input, n: chunk})
	s.in.decoderOnly = !fast
	var out []string
	describe := func(err error) {
		var se *streamErr
		switch {
		case errors.As(err, &se):
			out = append(out, "stream error: "+se.cond.Err+": "+se.text)
		case errors.Is(err, errPeerClosed):
			out = append(out, "closed")
		case errors.Is(err, io.ErrUnexpectedEOF):
			out = append(out, "unexpected EOF")
		case errors.Is(err, io.EOF):
			out = append(out, "EOF")
		default:
			out = append(out, fmt.Sprintf("error %T", err))
		}
	}
	if err := s.readHeader(); err != nil {
		describe(err)
		return out
	}
	for {
		if park && s.header != nil && s.in.buffered() == 0 && s.in.err == nil {
			s.in.releaseAll()
			s.dec = nil
		}
		el, err := s.next()
		if err != nil {
			describe(err)
			break
		}
		out = append(out, fmt.Sprintf("%#v charged %d", tree(el), s.in.charged))
	}
	s.in.reset(0)
	if used := cfg.InFlight.Used(); used != 0 {
		out = append(out, fmt.Sprintf("budget left used: %d", used))
	}
	return out
}

// chunkedReader reads b at most n bytes at a time (all of it when n <= 0).
type chunkedReader struct {
	b []byte
	n int
}

func (c *chunkedReader) Read(p []byte) (int, error) {
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

func checkRead(t *testing.T, input []byte, lc, chunk int, park bool) {
	t.Helper()
	want := readStream(input, lc, chunk, false, park)
	got := readStream(input, lc, chunk, true, park)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("input %q, limits %d, chunk %d, park %v:\n got %s\nwant %s", input, lc, chunk, park, strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

const (
	stdHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`
	// odd headers: another stream prefix, more declarations, two prefixes
	// for the stream namespace (no replay: the decoder stays).
	altHeader = `<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' xmlns:p='urn:p' version='1.0'>`
	twoHeader = `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:t='http://etherx.jabber.org/streams'>`
	auth      = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMA==</auth>`
)

// readCases are client streams read alike with and without the parser:
// what clients send, and what the parser leaves to the decoder.
var readCases = []string{
	stdHeader + auth + `</stream:stream>`,
	stdHeader + ` ` + auth + "\n\t" + `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind></iq>`,
	stdHeader + `<message to="room@conference.localhost" type="groupchat" id="m1"><body>hi &amp; &lt;bye&gt; &apos;x&quot; — 日本語</body></message><presence to="room@conference.localhost/Juliet"><x xmlns="http://jabber.org/protocol/muc"/><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="n" ver="v"/></presence>`,
	stdHeader + `<message xml:lang="fr"><p:x xmlns:p="urn:p" p:a="1" b="2"><p:y/><z xmlns=""/></p:x></message>`,
	stdHeader + `<message><stream:features/></message>`,
	stdHeader + `<p:message xmlns:p="jabber:client"/><q:x/>`,
	stdHeader + `<message q:a="1"/>`,
	stdHeader + `<message xmlns:q="urn:q" q:a="1" q:a="2"/>`,
	stdHeader + `<message a="1" a="2"/>`,
	stdHeader + `<message xmlns:p="xmlns" p:a="1"/>`,
	stdHeader + `<message xmlns:p="" p:xmlns="1"/>`,
	stdHeader + `<xml:a/><message xml:lang="en"/>`,
	stdHeader + `<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>`,
	stdHeader + `<s:stream xmlns:s='http://etherx.jabber.org/streams'><message/>`,
	stdHeader + `<message><body>a&#65;</body></message>`,
	stdHeader + `<message><body>&nbsp;</body></message>`,
	stdHeader + `<message><body>&amp</body></message>`,
	stdHeader + `<message><body>&lt `,
	stdHeader + `<message><body>&`,
	stdHeader + `<message><body><![CDATA[<x>]]></body></message>`,
	stdHeader + `<message><!-- c --></message>`,
	stdHeader + `<!-- c --><message/>`,
	stdHeader + `<?pi x?><message/>`,
	stdHeader + `<!DOCTYPE x><message/>`,
	stdHeader + `junk<message/>`,
	stdHeader + `<message/>junk`,
	stdHeader + "<message><body>a\r\nb</body></message>",
	stdHeader + "<message><body>\xff</body></message>",
	stdHeader + "<message><body>\x01</body></message>",
	stdHeader + "<message><body>\xff&amp;</body></message>",
	stdHeader + "<message a='\xf4&quot;'/>",
	stdHeader + `<message><body>a]]>b</body></message>`,
	stdHeader + `<message a="<"/>`,
	stdHeader + `<message a=1/>`,
	stdHeader + `<message></messag>`,
	stdHeader + `<message></message >`,
	stdHeader + `<message><a></b></message>`,
	stdHeader + `<message/ >`,
	stdHeader + `<mé/>`,
	stdHeader + `<a:b:c/>`,
	stdHeader + `<p:0/>`,
	stdHeader + `<xmlns/>`,
	stdHeader + `<a><b><c><d><e><f/></e></d></c></b></a>`,
	stdHeader + `<a x="1" y="2" z="3" w="4"/>`,
	stdHeader + `<a><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/><b/></a>`,
	stdHeader + `<message><body>` + strings.Repeat("z", 400) + `</body></message><iq/>`,
	stdHeader + `<message><body>` + strings.Repeat("z&amp;", 2000) + `</body></message><iq/>`,
	stdHeader + `<message><body>` + strings.Repeat("<x a='1'/>", 600) + `</body></message>`,
	stdHeader + `<iq id="1"/><message><body>` + strings.Repeat("é", 3000) + `</body></message><iq id="2"/>`,
	stdHeader + `<message>`,
	stdHeader + `<message`,
	stdHeader + `</stream:streamx>`,
	stdHeader + `</stream:stream >`,
	stdHeader + `</stream>`,
	stdHeader + `<message/></stream:stream><message/>`,
	altHeader + `<message><p:x/></message><q:y/></s:stream>`,
	altHeader + `<message/></stream:stream>`,
	twoHeader + `<message/></stream:stream>`,
	twoHeader + `<message/></t:stream>`,
	// An empty stream element, read by the decoder when it is not whole
	// in the first read: its end comes next (FuzzFastRead found it).
	`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'/><message/>`,
	`<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'><message/>`,
	`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:a='1' xmlns:b='2' xmlns:c='3' xmlns:d='4'><message/>`,
	`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='xmlns' p:q='urn:q'><q:message/>`,
	// Hostile shapes (cmd/mucattack, hostile/): deep, wide, many
	// elements, many attributes, entity expansion, a slow header.
	stdHeader + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100),
	stdHeader + `<message>` + strings.Repeat("<a/>", 6000) + `</message>`,
	stdHeader + `<message ` + strings.Repeat(`a`, 1) + strings.Repeat(` b="1"`, 80) + `/>`,
	stdHeader + `<message><body>` + strings.Repeat(`<x a="1" b="2" c="3"/>`, 300) + `</body></message>`,
	stdHeader + `<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><message>&b;</message>`,
	stdHeader + `<message><body>` + strings.Repeat("x", 12000) + `</body></message>`,
	``,
}

// TestFastReadMatchesDecoder reads every case with and without the
// one-pass parser, whole and in reads of several sizes (one byte at a time
// makes every element end past the buffer, and so go to the decoder after
// a few tries), with and without parking between elements, and wants the
// same trees, budget and errors. The cases run in parallel: they only
// parse in memory, and together they are the package's longest test on
// one core.
func TestFastReadMatchesDecoder(t *testing.T) {
	t.Parallel()
	for i, c := range readCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			for lc := range readLimits {
				for _, chunk := range []int{0, 1, 7, 100, 600} {
					checkRead(t, []byte(c), lc, chunk, false)
					checkRead(t, []byte(c), lc, chunk, true)
				}
			}
		})
	}
}

// TestFastReadTakesStanzas checks that what clients send is parsed by the
// one-pass parser, which is the point of it: a case that silently went to
// the decoder would pass the comparison above and save nothing.
func TestFastReadTakesStanzas(t *testing.T) {
	for _, c := range readCases[:4] {
		for _, chunk := range []int{0, 300} {
			cfg := &Config{Domain: "localhost"}
			s := &Session{cfg: cfg, limits: sharedLimits(Limits{}), log: discardLogger, raw: discardConn{}, conn: discardConn{}}
			s.setReader(&chunkedReader{b: []byte(c), n: chunk})
			if err := s.readHeader(); err != nil {
				t.Fatal(err)
			}
			if s.in.st == nil {
				t.Fatalf("%q: no stream for the parser", c)
			}
			if s.dec != nil {
				t.Fatalf("%q in reads of %d: the decoder read the header", c, chunk)
			}
			for {
				_, err := s.next()
				if s.dec != nil {
					t.Fatalf("%q in reads of %d: the decoder read an element", c, chunk)
				}
				if err != nil {
					break
				}
			}
		}
	}
}

// TestReplayRefusesXmlnsPrefix checks that a header whose start element
// cannot tell declarations from attributes (a prefix bound to "xmlns" or
// to no namespace) is not replayed, nor read by the parser: a replay would
// declare q for <q:message/> below, which the client's own header did not.
func TestReplayRefusesXmlnsPrefix(t *testing.T) {
	for _, h := range []string{
		`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='xmlns' p:q='urn:q'>`,
		`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='' p:xmlns='urn:q'>`,
	} {
		start, _, ok := firstStart(h)
		if !ok {
			t.Fatalf("%q does not parse", h)
		}
		if r := replayHeader(start); r != nil {
			t.Errorf("%q replayed as %q", h, r)
		}
		if st := streamOf(start, nil); st != nil {
			t.Errorf("%q: the parser would read its stanzas", h)
		}
		input := []byte(h + `<q:message/>`)
		for lc := range readLimits {
			checkRead(t, input, lc, 0, true)
			checkRead(t, input, lc, len(h), true) // parks after the header
		}
	}
}

func FuzzFastRead(f *testing.F) {
	for _, c := range readCases {
		f.Add([]byte(c), uint8(0), uint8(0))
		f.Add([]byte(c), uint8(7), uint8(1))
	}
	// The headers and stanzas of c2s/testdata's corpora, as one stream.
	files, _ := filepath.Glob("testdata/fuzz/*/*")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var stream []byte
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "string("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
					stream = append(stream, s...)
				}
			}
		}
		f.Add(stream, uint8(0), uint8(0))
		f.Add(append([]byte(stdHeader), stream...), uint8(3), uint8(3))
	}
	f.Fuzz(func(t *testing.T, input []byte, chunk, opts uint8) {
		checkRead(t, input, int(opts>>1)%len(readLimits), int(chunk), opts&1 == 1)
	})
}

// BenchmarkReadStanzas reads a bound client's everyday traffic (MUC
// presence with caps, groupchat messages, iqs) through a session's reader,
// with the one-pass parser and with the decoder alone, as before it.
func BenchmarkReadStanzas(b *testing.B) {
	one := `<presence to="room@conference.localhost/Juliet" id="p1"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="0"/></x><c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="http://psi-im.org" ver="QgayPKawpkPSDYmwT/WM94uAlu0="/></presence>` +
		`<message to="room@conference.localhost" type="groupchat" id="m1"><body>Hello &amp; welcome, Romeo</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>` +
		`<iq type="get" id="q1" to="conference.localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>` + "\n"
	input := []byte(stdHeader + strings.Repeat(one, 50))
	for _, fast := range []bool{true, false} {
		b.Run(map[bool]string{true: "fast", false: "decoder"}[fast], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(input)))
			n := 0
			for b.Loop() {
				s := &Session{cfg: &Config{Domain: "localhost"}, limits: sharedLimits(Limits{}), log: discardLogger, raw: discardConn{}, conn: discardConn{}}
				s.setReader(&chunkedReader{b: input})
				if err := s.readHeader(); err != nil {
					b.Fatal(err)
				}
				s.in.decoderOnly = !fast
				for {
					if _, err := s.next(); err != nil {
						break
					}
					n++
				}
				s.in.releaseAll()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/stanza")
		})
	}
}
