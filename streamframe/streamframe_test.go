package streamframe

import (
	"fmt"
	"strings"
	"testing"
)

type item struct {
	kind Kind
	b    string
}

func split(t testing.TB, chunks ...string) ([]item, error) {
	var sp Splitter
	var got []item
	for _, c := range chunks {
		err := sp.Feed([]byte(c), func(k Kind, b []byte) error {
			got = append(got, item{k, string(b)})
			return nil
		})
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

func TestSplitter(t *testing.T) {
	header := `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x1' from='localhost' version='1.0' xml:lang='en'>`
	tests := []struct {
		name   string
		chunks []string
		want   []item
	}{
		{"header and features", []string{header + `<stream:features><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>`},
			[]item{{Header, header[len("<?xml version='1.0'?>"):]},
				{Element, `<stream:features xmlns:stream="http://etherx.jabber.org/streams"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>`}}},
		{"stanzas get jabber:client", []string{`<message to="a"><body>x &lt; y</body></message><presence/>`},
			[]item{{Element, `<message xmlns="jabber:client" to="a"><body>x &lt; y</body></message>`}, {Element, `<presence xmlns="jabber:client"/>`}}},
		{"declared namespace kept", []string{`<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>`},
			[]item{{Element, `<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>`}}},
		{"split across writes", []string{`<iq type="res`, `ult" id="1"><query xmlns="q">`, `<item a='>'/></query></iq>`},
			[]item{{Element, `<iq xmlns="jabber:client" type="result" id="1"><query xmlns="q"><item a='>'/></query></iq>`}}},
		{"name ends at >", []string{`<iq><ping xmlns="urn:xmpp:ping"/></iq>`},
			[]item{{Element, `<iq xmlns="jabber:client"><ping xmlns="urn:xmpp:ping"/></iq>`}}},
		{"stream error and close", []string{`<stream:error><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error></stream:stream>`},
			[]item{{Element, `<stream:error xmlns:stream="http://etherx.jabber.org/streams"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>`}, {Close, `</stream:stream>`}}},
		{"whitespace between", []string{" <a/>\n <b/> "}, []item{{Element, `<a xmlns="jabber:client"/>`}, {Element, `<b xmlns="jabber:client"/>`}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := split(t, tc.chunks...)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	if _, err := split(t, `<a/>text`); err != ErrOutput {
		t.Fatalf("text at the top level: %v, want ErrOutput", err)
	}
}

func TestScannerItems(t *testing.T) {
	// One top-level element each, however its inside looks.
	for _, msg := range []string{
		`<message><body><![CDATA[</message><x>]]></body></message>`,
		`<a b="</a>" c='/>'><!-- </a> --><?pi </a>?></a>`,
		`<a/>`,
		`<p:a xmlns:p="u"><p:b/></p:a>`,
	} {
		var sc Scanner
		starts, elements := 0, 0
		_ = sc.Scan([]byte(msg), func(_ int, ev Event) error {
			switch ev {
			case EvStart:
				starts++
			case EvElement:
				elements++
			}
			return nil
		})
		if starts != 1 || elements != 1 || !sc.Top() {
			t.Errorf("%s: %d starts, %d elements, top %v", msg, starts, elements, sc.Top())
		}
	}
}

// FuzzSplitter: however the output is cut into writes, the same items come
// out, and nothing panics.
func FuzzSplitter(f *testing.F) {
	f.Add(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='1'><stream:features/><message to="a"><body>hi</body></message></stream:stream>`, 7)
	f.Add(`<a b='>'><![CDATA[<]]><!--x--></a><b/>`, 3)
	f.Add(`<iq/>text`, 1)
	f.Fuzz(func(t *testing.T, out string, cut int) {
		if len(out) > 4096 {
			return
		}
		whole, errWhole := split(t, out)
		var chunks []string
		step := (cut%17+17)%17 + 1
		for i := 0; i < len(out); i += step {
			chunks = append(chunks, out[i:min(i+step, len(out))])
		}
		parts, errParts := split(t, chunks...)
		if (errWhole == nil) != (errParts == nil) || fmt.Sprint(whole) != fmt.Sprint(parts) {
			t.Fatalf("whole: %q %v\nin %d-byte writes: %q %v", whole, errWhole, step, parts, errParts)
		}
		for _, it := range whole {
			if !strings.HasPrefix(it.b, "<") || !strings.HasSuffix(it.b, ">") {
				t.Fatalf("item %q is not a tag", it.b)
			}
		}
	})
}

type event struct {
	i  int
	ev Event
}

// FuzzScanMatchesStep: Scan's skipping gives exactly the events, and ends
// in exactly the state, of stepping through every byte.
func FuzzScanMatchesStep(f *testing.F) {
	f.Add(`<message xmlns="jabber:client" to='a'><body>x</body><x a="1"/ b='2'></x></message><stream:features xmlns:stream="s"/>`)
	f.Add(`<a xmlns = "u" xmlnsx="v" xmlns:stream="w"><![CDATA[<]]><!-- > --><?p ?></a>`)
	f.Fuzz(func(t *testing.T, in string) {
		var fast, slow Scanner
		var got, want []event
		_ = fast.Scan([]byte(in), func(i int, ev Event) error {
			got = append(got, event{i, ev})
			return nil
		})
		for i := 0; i < len(in); i++ {
			if ev := slow.Step(in[i]); ev != EvNone {
				want = append(want, event{i, ev})
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Scan %v\nStep %v", got, want)
		}
		if fast.state != slow.state || fast.Depth != slow.Depth || fast.slash != slow.slash ||
			fast.HasXMLNS != slow.HasXMLNS || fast.HasStreamNS != slow.HasStreamNS || fast.Name() != slow.Name() {
			t.Fatalf("states differ: %+v\n%+v", fast, slow)
		}
	})
}
