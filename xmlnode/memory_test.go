package xmlnode

import (
	"encoding/xml"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// treeShapes are stanzas of about 64 KiB, from the usual (text) to the
// worst per byte received (many tiny elements, many short attributes).
var treeShapes = []struct{ name, stanza string }{
	{"body text", `<message to='a@b'><body>` + strings.Repeat("hello world ", 5400) + `</body></message>`},
	{"text and CDATA alternating", `<message><body>` + strings.Repeat("a<![CDATA[b]]>", 4600) + `</body></message>`},
	{"small elements", `<message>` + strings.Repeat("<a/>", 16000) + `</message>`},
	{"elements with text", `<iq><query xmlns='jabber:iq:roster'>` + strings.Repeat("<item jid='contact@example.org' name='A Contact'><group>Friends</group></item>", 820) + `</query></iq>`},
	{"short attributes", `<message>` + strings.Repeat("<a b='' c='' d='' e='' f='' g='' h='' i=''/>", 1500) + `</message>`},
}

// treeBytesPerWireByte parses stanza n times and returns the heap bytes
// the trees keep, per byte of input.
func treeBytesPerWireByte(t testing.TB, stanza string, n int) float64 {
	trees := make([]*Element, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range trees {
		d := xml.NewDecoder(strings.NewReader(stanza))
		tok, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		trees[i], err = Read(d, tok.(xml.StartElement), Limits{})
		if err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(trees)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n*len(stanza))
}

// TestTreeMemory reports what an element tree costs per byte of the
// stanza it was read from (go test -v -run TreeMemory ./xmlnode), and
// checks the bound the reader's element limit is chosen against: at most
// about 30 bytes per wire byte even for the worst shape, 3 for text.
func TestTreeMemory(t *testing.T) {
	for _, sh := range treeShapes {
		t.Run(sh.name, func(t *testing.T) {
			r := treeBytesPerWireByte(t, sh.stanza, 20)
			t.Logf("%-28s %6d wire bytes: %5.1f heap bytes per wire byte", sh.name, len(sh.stanza), r)
			limit := 40.0
			if strings.HasPrefix(sh.name, "body text") || strings.HasPrefix(sh.name, "text and CDATA") {
				limit = 3
			}
			if r > limit {
				t.Errorf("%s: %.1f heap bytes per wire byte, want at most %v", sh.name, r, limit)
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
