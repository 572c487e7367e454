package xmlnode

import (
	"encoding/xml"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// treeShapes are the stanzas whose tree cost is measured: large ones of
// about 64 KiB, from the usual (text) to the worst per byte received
// (many tiny elements, many short attributes), and the everyday stanzas a
// server keeps (a groupchat message in MUC history, a roster push, a
// pubsub item). max is the bound TestTreeMemory holds each to, in heap
// bytes per wire byte, a little over what Read's compact tree costs
// (before it: 0.9, 0.1, 28.6, 5.4, 11.2, 3.2, 5.1 and 4.1). The floor
// is the Element itself (80 bytes) and its slot in the parent's list
// (16), and 48 bytes per attribute: 24 bytes per wire byte for <a/>.
var treeShapes = []struct {
	name, stanza string
	max          float64
}{
	{"body text", `<message to='a@b'><body>` + strings.Repeat("hello world ", 5400) + `</body></message>`, 1.5},
	{"text and CDATA alternating", `<message><body>` + strings.Repeat("a<![CDATA[b]]>", 4600) + `</body></message>`, 1},
	{"small elements", `<message>` + strings.Repeat("<a/>", 16000) + `</message>`, 26},
	{"elements with text", `<iq><query xmlns='jabber:iq:roster'>` + strings.Repeat("<item jid='contact@example.org' name='A Contact'><group>Friends</group></item>", 820) + `</query></iq>`, 5.5},
	{"short attributes", `<message>` + strings.Repeat("<a b='' c='' d='' e='' f='' g='' h='' i=''/>", 1500) + `</message>`, 12},
	{"groupchat message", `<message xmlns='jabber:client' from='room@conference.example.org/Nick' to='user@example.org/phone' type='groupchat' id='7c3b2a1e' xml:lang='en'>` +
		`<body>Has anyone tried the new release yet? It fixed the reconnect bug for me.</body>` +
		`<origin-id xmlns='urn:xmpp:sid:0' id='b9f1c0de-4a2f-4c55-9e0b-6a7d8c9e0f12'/>` +
		`<occupant-id xmlns='urn:xmpp:occupant-id:0' id='dGhpcyBpcyBhbiBvY2N1cGFudCBpZA=='/>` +
		`<stanza-id xmlns='urn:xmpp:sid:0' by='room@conference.example.org' id='5e6f7a8b-1111-2222-3333-444455556666'/></message>`, 3.5},
	{"roster push", `<iq xmlns='jabber:client' type='set' id='push-7' to='user@example.org/phone'><query xmlns='jabber:iq:roster' ver='ver14'>` +
		`<item jid='contact@example.org' name='A Contact' subscription='both'><group>Friends</group><group>Work</group></item></query></iq>`, 5},
	{"pubsub item", `<iq xmlns='jabber:client' type='set' id='pub-1'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='urn:xmpp:microblog:0'>` +
		`<item id='1cb57d9c-1c46-11dd-838c-001143d5d5db'><entry xmlns='http://www.w3.org/2005/Atom'>` +
		`<title type='text'>hanging out at the Caf&#233; Napolitano</title>` +
		`<link rel='alternate' type='text/html' href='http://jabber.org/people/stpeter.php'/>` +
		`<id>tag:example.org,2008:entry-32397</id><published>2008-05-08T18:30:02Z</published><updated>2008-05-08T18:30:02Z</updated>` +
		`</entry></item></publish></pubsub></iq>`, 4},
}

// readTree reads stanza with Read, as c2s does.
func readTree(t testing.TB, stanza string) *Element {
	d := xml.NewDecoder(strings.NewReader(stanza))
	tok, err := d.Token()
	if err != nil {
		t.Fatal(err)
	}
	el, err := Read(d, tok.(xml.StartElement), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return el
}

// treeBytesPerWireByte parses stanza into enough trees to hold about 256
// KB of input (64 KB under the race detector) and returns the heap bytes
// the trees keep, per byte of input: what a stanza costs while it is
// queued or stored as a tree.
func treeBytesPerWireByte(t testing.TB, stanza string) float64 {
	input := 256 << 10
	if raceEnabled {
		input = 64 << 10
	}
	n := max(4, input/len(stanza))
	trees := make([]*Element, n)
	var before, after runtime.MemStats
	collect(1)
	runtime.ReadMemStats(&before)
	for i := range trees {
		trees[i] = readTree(t, stanza)
	}
	collect(1)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(trees)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n*len(stanza))
}

// collect runs n garbage collections on one P: runtime.GC sweeps the
// heap itself, yielding after every span, and with a second P idle each
// yield woke it to find nothing to do, doubling the collections' CPU
// (most of this package's tests' CPU is in the memory tests'
// collections).
func collect(n int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for range n {
		runtime.GC()
	}
}

// TestTreeMemory reports what an element tree costs per byte of the
// stanza it was read from (go test -v -run TreeMemory ./xmlnode), and
// checks each shape against its bound.
func TestTreeMemory(t *testing.T) {
	for _, sh := range treeShapes {
		t.Run(sh.name, func(t *testing.T) {
			r := treeBytesPerWireByte(t, sh.stanza)
			t.Logf("%-28s %6d wire bytes: %5.1f heap bytes per wire byte", sh.name, len(sh.stanza), r)
			if r > sh.max {
				t.Errorf("%s: %.1f heap bytes per wire byte, want at most %v", sh.name, r, sh.max)
			}
		})
	}
}

// BenchmarkTree reads (Read) and writes (AppendTo) each shape; "tree-B/B"
// is the heap the tree keeps per wire byte. Compare two builds
// interleaved: go test -run ^$ -bench Tree -count 6 ./xmlnode.
func BenchmarkTree(b *testing.B) {
	for _, sh := range treeShapes {
		name := strings.ReplaceAll(sh.name, " ", "-")
		b.Run("read/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(sh.stanza)))
			b.ReportAllocs()
			for b.Loop() {
				readTree(b, sh.stanza)
			}
			b.ReportMetric(treeBytesPerWireByte(b, sh.stanza), "tree-B/B")
		})
		b.Run("write/"+name, func(b *testing.B) {
			el := readTree(b, sh.stanza)
			buf := el.AppendTo(nil, "jabber:client")
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf = el.AppendTo(buf[:0], "jabber:client")
			}
		})
	}
}

// BenchmarkReadAlternatingText is the stanza that cost 391 ms when text
// runs were joined node by node: text and CDATA alternating, 256 KiB.
func BenchmarkReadAlternatingText(b *testing.B) {
	s := `<message><body>` + strings.Repeat("a<![CDATA[b]]>", 18700) + `</body></message>`
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		d := xml.NewDecoder(strings.NewReader(s))
		tok, _ := d.Token()
		if _, err := Read(d, tok.(xml.StartElement), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleLimits() {
	d := xml.NewDecoder(strings.NewReader(`<message>` + strings.Repeat("<a/>", 10) + `</message>`))
	tok, _ := d.Token()
	_, err := Read(d, tok.(xml.StartElement), Limits{MaxElements: 8})
	fmt.Println(err)
	// Output: xmlnode: too many elements
}
