package xmlnode

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct{ in, parentNS, want string }{
		{`<message xmlns="jabber:client" to="a@b"><body>hi &amp; &lt;3</body></message>`, "jabber:client",
			`<message to="a@b"><body>hi &amp; &lt;3</body></message>`},
		{`<iq xmlns="jabber:client"><query xmlns="jabber:iq:roster"><item jid="x"/></query></iq>`, "jabber:client",
			`<iq><query xmlns="jabber:iq:roster"><item jid="x"/></query></iq>`},
		{`<x xmlns="a" xml:lang="en"/>`, "", `<x xmlns="a" xml:lang="en"/>`},
		{`<p:x xmlns:p="urn:p" xmlns:s="urn:s" s:strict="true"/>`, "urn:p", `<x xmlns:ns0="urn:s" ns0:strict="true"/>`},
		{`<x xmlns="a" v="&quot;'"/>`, "a", `<x v="&quot;&apos;"/>`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		var b strings.Builder
		if err := e.Encode(&b, tt.parentNS); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("Encode(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
		// and it parses back to the same thing
		back, err := Parse(e.String())
		if err != nil || back.String() != e.String() {
			t.Errorf("reparse of %q: %v, %q", e.String(), err, back)
		}
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		in   string
		lim  Limits
		want error
	}{
		{`<a><b><c/></b></a>`, Limits{MaxDepth: 2}, ErrDepth},
		{`<a><b><c/></b></a>`, Limits{MaxDepth: 3}, nil},
		{`<a x="1" y="2" z="3"/>`, Limits{MaxAttrs: 2}, ErrAttrs},
		{`<a><!-- no --></a>`, Limits{}, ErrRestricted},
		{`<a><?pi x?></a>`, Limits{}, ErrRestricted},
		// Undeclared prefixes, checked only when Declared is set.
		{`<x:message/>`, Limits{}, nil},
		{`<x:message/>`, Limits{Declared: []string{"jabber:client"}}, ErrUndeclaredPrefix},
		{`<message><x:body/></message>`, Limits{Declared: []string{"jabber:client"}}, ErrUndeclaredPrefix},
		{`<message p:a="1"/>`, Limits{Declared: []string{"jabber:client"}}, ErrUndeclaredPrefix},
		{`<message xmlns:x="urn:x"><x:body x:a="1"/></message>`, Limits{Declared: []string{"jabber:client"}}, nil},
		// A declaration ends with its element.
		{`<message><a xmlns:x="urn:x"/><x:b/></message>`, Limits{Declared: []string{}}, ErrUndeclaredPrefix},
		{`<message xml:lang="en"><body xmlns="urn:y"/><c/></message>`, Limits{Declared: []string{}}, nil},
	}
	for _, tt := range tests {
		d := xml.NewDecoder(strings.NewReader(tt.in))
		tok, _ := d.Token()
		_, err := Read(d, tok.(xml.StartElement), tt.lim)
		if !errors.Is(err, tt.want) {
			t.Errorf("Read(%q, %+v) = %v, want %v", tt.in, tt.lim, err, tt.want)
		}
	}
}

func TestHelpers(t *testing.T) {
	e := MustParse(`<message xmlns="jabber:client" type="chat">
		<body>one</body><x xmlns="urn:x"/><x xmlns="urn:y"/></message>`).TrimSpace()
	if got := e.ChildText("jabber:client", "body"); got != "one" {
		t.Errorf("ChildText = %q", got)
	}
	if n := len(e.ChildrenNamed("", "x")); n != 2 {
		t.Errorf("ChildrenNamed any ns = %d", n)
	}
	c := e.Copy()
	c.SetAttr("type", "groupchat").RemoveChildren("urn:x", "x")
	if e.Attrib("type") != "chat" || len(e.Elements()) != 3 {
		t.Errorf("Copy is not deep: %s", e)
	}
	if len(c.Elements()) != 2 {
		t.Errorf("RemoveChildren: %s", c)
	}
}

func TestLocalNames(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`<a:b xmlns:a="u"/>`, true},
		{`<m><p:_x-1.2 xmlns:p="u"/></m>`, true},
		{`<m><p:été xmlns:p="u"/></m>`, true},
		{`<m xmlns:p="u" p:a="1"/>`, true},
		{`<a:0 xmlns:a="u"/>`, false},
		{`<m><p:0 xmlns:p="u"/></m>`, false},
		{`<m xmlns:p="u" p:1="v"/>`, false},
		{`<m><p:-x xmlns:p="u"/></m>`, false},
		{`<m><p:·x xmlns:p="u"/></m>`, false}, // U+00B7 may follow, not start
	}
	for _, tc := range tests {
		e, err := Parse(tc.in)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case !tc.ok && !errors.Is(err, ErrName):
			t.Errorf("%s: got %v, %v; want ErrName", tc.in, e, err)
		}
		if err == nil {
			if _, err := Parse(e.String()); err != nil {
				t.Errorf("%s written as %s, which does not parse: %v", tc.in, e, err)
			}
		}
	}
}

// TestDuplicateAttributes: an element may not have two attributes of one
// expanded name, however they are spelled; one local name in two
// namespaces is two attributes.
func TestDuplicateAttributes(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`<m a="1" b="2"/>`, true},
		{`<m a="1" a="2"/>`, false},
		{`<m><x c="" c="2"/></m>`, false},
		{`<m xmlns:p="u" a="1" p:a="2"/>`, true},
		{`<m xmlns:p="u" xmlns:q="v" p:a="1" q:a="2"/>`, true},
		{`<m xmlns:p="u" xmlns:q="u" p:a="1" q:a="2"/>`, false},
		{`<m a0="" a1="" a2="" a3="" a4="" a5="" a6="" a7="" a8="" a9="" b0="" b1="" b2="" b3="" b4="" b5="" b6="" b7="" a3=""/>`, false},
		{`<m a0="" a1="" a2="" a3="" a4="" a5="" a6="" a7="" a8="" a9="" b0="" b1="" b2="" b3="" b4="" b5="" b6="" b7="" b8=""/>`, true},
	}
	for _, tc := range tests {
		_, err := Parse(tc.in)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case !tc.ok && !errors.Is(err, ErrDuplicateAttr):
			t.Errorf("%s: got %v, want ErrDuplicateAttr", tc.in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`<message xmlns="jabber:client"><body>x</body></message>`)
	f.Add(`<a xmlns:p="u" p:b="c"><![CDATA[x]]></a>`)
	f.Add(broadcastMsg)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(e.String())
		if err != nil {
			t.Fatalf("reparse of %q (from %q): %v", e.String(), s, err)
		}
		if back.String() != e.String() {
			t.Fatalf("not stable: %q vs %q", back.String(), e.String())
		}
		// Parse, serialise, parse: the same tree, in every namespace
		// context, frozen or not.
		checkRoundTrip(t, e)
		checkRoundTrip(t, e.Freeze())
		// A frozen copy encodes exactly as the tree does, in every
		// namespace context, and so does a copy edited after Freeze.
		f := e.Freeze()
		for _, ns := range []string{"", e.Name.Space, "jabber:client"} {
			if got, want := string(f.AppendTo(nil, ns)), string(e.AppendTo(nil, ns)); got != want {
				t.Fatalf("frozen in %q: %q, want %q", ns, got, want)
			}
		}
		// Addressing while encoding is addressing a copy.
		if got, want := string(f.AppendToAttr(nil, "jabber:client", "to", "u@h/r")), string(e.Copy().SetAttr("to", "u@h/r").AppendTo(nil, "jabber:client")); got != want {
			t.Fatalf("AppendToAttr: %q, want %q", got, want)
		}
		edited := f.ShallowCopy().SetAttr("to", "x").Append(Text("t"))
		if got, want := edited.String(), e.Copy().SetAttr("to", "x").Append(Text("t")).String(); got != want {
			t.Fatalf("edited frozen copy: %q, want %q", got, want)
		}
	})
}

func TestReadNext(t *testing.T) {
	// A stream as a client sees it after the header: whitespace keepalives,
	// two stanzas, then the server's </stream:stream>.
	d := xml.NewDecoder(strings.NewReader(`<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams"> <message id="1"/>
	<presence id="2"><status>x</status></presence></stream:stream>`))
	if _, err := d.Token(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<message xmlns="jabber:client" id="1"/>`, `<presence xmlns="jabber:client" id="2"><status>x</status></presence>`} {
		el, err := ReadNext(d, Limits{})
		if err != nil || el.String() != want {
			t.Fatalf("ReadNext = %v, %v; want %s", el, err, want)
		}
	}
	if _, err := ReadNext(d, Limits{}); !errors.Is(err, ErrEnd) {
		t.Fatalf("at </stream:stream>: err = %v, want ErrEnd", err)
	}
	if _, err := ReadNext(d, Limits{}); err == nil {
		t.Fatal("after the end: want an error")
	}
}
