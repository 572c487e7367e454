package xmlnode

import (
	"encoding/xml"
	"strings"
	"sync"
	"testing"
)

// broadcastMsg is a MUC groupchat message as the room relays it: text
// children, payloads in other namespaces, a namespaced attribute on the
// stanza and on a child (each declares its own prefix), xml:lang, and
// characters that need escaping.
const broadcastMsg = `<message xmlns="jabber:client" xmlns:h="urn:hint" from="room@muc/nick" type="groupchat" id="m&amp;1" h:prio="1">` +
	`<body xml:lang="en">a &lt;b&gt; &amp; "c"&#xD;</body>` + "\n" +
	`<x xmlns="http://jabber.org/protocol/muc#user"><item role="participant"/></x>` +
	`<origin-id xmlns="urn:xmpp:sid:0" xmlns:s="urn:s" id="o1" s:strict="true"/>` +
	`<occupant-id xmlns="urn:xmpp:occupant-id:0" id="abc="/>` +
	`<html xmlns="http://jabber.org/protocol/xhtml-im"><body xmlns="http://www.w3.org/1999/xhtml"><p>hi</p></body></html>` +
	`</message>`

// frozenSentinel replaces a frozen serialisation in the tests that check
// whether it was used: nothing Encode writes contains a comment.
const frozenSentinel = "<!--frozen-->"

func TestFreeze(t *testing.T) {
	tests := []struct {
		name     string
		parentNS string
		// edit changes a fresh frozen copy (of the message) in place or
		// returns what to encode instead (for wrapping); it must do the
		// same to an unfrozen deep copy, which gives the expected output.
		edit     func(*Element) *Element
		verbatim bool // the frozen bytes must be used
		want     string
	}{
		{name: "as is, c2s stream", parentNS: "jabber:client", verbatim: true},
		{name: "addressed", parentNS: "jabber:client", verbatim: true,
			edit: func(e *Element) *Element { return e.SetAttr("to", "juliet@capulet/balcony") }},
		{name: "addressed shallow copy of a shallow copy", parentNS: "jabber:client", verbatim: true,
			edit: func(e *Element) *Element { return e.ShallowCopy().ShallowCopy().SetAttr("to", "x@y/z") }},
		{name: "String context, no parent namespace", parentNS: "", verbatim: true},
		{name: "other parent namespace", parentNS: "jabber:server", verbatim: true},
		{name: "nested in a forward", parentNS: "jabber:client", verbatim: true,
			edit: func(e *Element) *Element {
				return New("jabber:client", "message").Append(New("urn:xmpp:forward:0", "forwarded").Append(e))
			}},
		{name: "same text value put back", parentNS: "jabber:client", verbatim: true,
			edit: func(e *Element) *Element {
				e.Children[1] = Text(strings.Clone(string(e.Children[1].(Text))))
				return e
			}},
		{name: "attribute removed", parentNS: "jabber:client", verbatim: true,
			edit: func(e *Element) *Element { return e.RemoveAttr("type") }},
		// The children are written in the stanza's namespace: the bytes
		// would be wrong after a change of it (<body> would need
		// xmlns="jabber:client"), so they are not used.
		{name: "stanza namespace changed", parentNS: "jabber:client",
			edit: func(e *Element) *Element { e.Name.Space = "jabber:server"; return e },
			want: `<body xmlns="jabber:client" xml:lang="en">`},
		{name: "child appended", parentNS: "jabber:client",
			edit: func(e *Element) *Element { return e.Append(New("urn:x", "extra")) }},
		{name: "child removed", parentNS: "jabber:client",
			edit: func(e *Element) *Element { return e.RemoveChildren("urn:xmpp:sid:0", "origin-id") }},
		{name: "text set", parentNS: "jabber:client",
			edit: func(e *Element) *Element { return e.SetText("more") }},
		{name: "child replaced by an equal copy", parentNS: "jabber:client",
			edit: func(e *Element) *Element { e.Children[0] = e.Children[0].(*Element).Copy(); return e }},
		{name: "children dropped", parentNS: "jabber:client", want: `id="m&amp;1" xmlns:ns0="urn:hint" ns0:prio="1"/>`,
			edit: func(e *Element) *Element { e.Children = nil; return e }},
		{name: "deep copy", parentNS: "jabber:client",
			edit: func(e *Element) *Element { return e.Copy() }},
	}
	orig := MustParse(broadcastMsg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edit := tt.edit
			if edit == nil {
				edit = func(e *Element) *Element { return e }
			}
			want := string(edit(orig.Copy()).AppendTo(nil, tt.parentNS))
			got := string(edit(orig.Freeze()).AppendTo(nil, tt.parentNS))
			if got != want {
				t.Fatalf("frozen encodes as\n%s\nwant (unfrozen)\n%s", got, want)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("encoding %s\nlacks %s", got, tt.want)
			}
			// The same with the frozen bytes swapped for a sentinel
			// tells which path the encoder took.
			f := orig.Freeze()
			f.frozenOf().xml = frozenSentinel
			used := strings.Contains(string(edit(f).AppendTo(nil, tt.parentNS)), frozenSentinel)
			if used != tt.verbatim {
				t.Errorf("frozen bytes used = %v, want %v", used, tt.verbatim)
			}
			// Round trip: what was written parses back to the tree.
			back, err := Parse(string(edit(orig.Freeze()).AppendTo(nil, "")))
			if err != nil {
				t.Fatal(err)
			}
			if back.String() != edit(orig.Copy()).String() {
				t.Errorf("reparsed:\n%s\nwant\n%s", back, edit(orig.Copy()))
			}
		})
	}
}

// TestFreezeNamespaceContext pins the invariant Freeze relies on: a child
// list serialises the same wherever its element is written, as long as the
// element's own namespace is the same, whatever the parent's.
func TestFreezeNamespaceContext(t *testing.T) {
	orig := MustParse(broadcastMsg)
	f := orig.Freeze()
	onStream := string(f.AppendTo(nil, "jabber:client"))
	tests := []struct{ parentNS, wantStart string }{
		{"jabber:client", `<message from=`},
		{"", `<message xmlns="jabber:client" from=`},
		{"urn:xmpp:forward:0", `<message xmlns="jabber:client" from=`},
	}
	for _, tt := range tests {
		got := string(f.AppendTo(nil, tt.parentNS))
		if !strings.HasPrefix(got, tt.wantStart) {
			t.Errorf("parent %q: %s\nwant start %s", tt.parentNS, got, tt.wantStart)
		}
		if inner, want := got[strings.Index(got, ">"):], onStream[strings.Index(onStream, ">"):]; inner != want {
			t.Errorf("parent %q: children\n%s\ndiffer from the stream's\n%s", tt.parentNS, inner, want)
		}
		// jabber:client children stay unprefixed and undeclared; a
		// stream parser puts them in the stanza's namespace.
		if !strings.Contains(got, `<body xml:lang="en">`) {
			t.Errorf("parent %q: body not in the stanza's default namespace: %s", tt.parentNS, got)
		}
	}
	// Read as a client reads a stanza on its stream.
	stream := `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams">` + onStream
	back, err := readStanza(stream)
	if err != nil {
		t.Fatal(err)
	}
	if back.String() != orig.String() {
		t.Errorf("read from a stream:\n%s\nwant\n%s", back, orig)
	}
}

func readStanza(stream string) (*Element, error) {
	d := xml.NewDecoder(strings.NewReader(stream))
	if _, err := d.Token(); err != nil {
		return nil, err
	}
	return ReadNext(d, Limits{Declared: []string{"jabber:client", "http://etherx.jabber.org/streams"}})
}

// TestFreezeReaders checks that whatever reads a frozen stanza's tree (the
// router, carbons, offline storage, match) sees the children.
func TestFreezeReaders(t *testing.T) {
	orig := MustParse(broadcastMsg)
	f := orig.Freeze().SetAttr("to", "juliet@capulet/balcony")
	if f.String() != orig.Copy().SetAttr("to", "juliet@capulet/balcony").String() {
		t.Errorf("String: %s", f)
	}
	if got := f.ChildText("jabber:client", "body"); got != "a <b> & \"c\"\r" {
		t.Errorf("ChildText(body) = %q", got)
	}
	if f.Child("urn:xmpp:sid:0", "origin-id").Attrib("id") != "o1" {
		t.Error("Child(origin-id) lost")
	}
	if n := len(f.Elements()); n != 5 {
		t.Errorf("Elements: %d, want 5", n)
	}
	if f.Text() != "\n" {
		t.Errorf("Text = %q", f.Text())
	}
	// A deep copy is independent of the frozen bytes: editing it shows.
	c := f.Copy()
	c.Child("jabber:client", "body").SetText("changed")
	if !strings.Contains(c.String(), ">changed</body>") || strings.Contains(f.String(), "changed") {
		t.Errorf("deep copy edit: copy %s\nfrozen %s", c, f)
	}
	// Top-level edits of a shallow copy leave the frozen one alone.
	s := f.ShallowCopy().SetAttr("to", "romeo@montague/garden").RemoveChildren("", "x")
	if f.Attrib("to") != "juliet@capulet/balcony" || f.Child("", "x") == nil || s.Child("", "x") != nil {
		t.Errorf("shallow copy edit leaked: %s", f)
	}
}

// TestFreezeShared encodes copies of one frozen stanza from several
// goroutines, as sessions do (for go test -race).
func TestFreezeShared(t *testing.T) {
	f := MustParse(broadcastMsg).Freeze()
	want := string(MustParse(broadcastMsg).SetAttr("to", "u@h/r").AppendTo(nil, "jabber:client"))
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			var buf []byte
			for range 50 {
				buf = f.ShallowCopy().SetAttr("to", "u@h/r").AppendTo(buf[:0], "jabber:client")
				if string(buf) != want {
					errs <- string(buf)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent encoding: %s\nwant %s", e, want)
	}
}

// BenchmarkBroadcastEncode serialises a groupchat message for 100
// recipients that differ only in "to", as a MUC broadcast and c2s do:
// "copies" encodes each whole, "frozen" freezes it once and encodes each
// recipient's start and end tags around the frozen bytes, "frozen-attr"
// does the same without an addressed copy per recipient (AppendToAttr, as
// c2s.Session.SendTo does).
func BenchmarkBroadcastEncode(b *testing.B) {
	msg := MustParse(`<message xmlns="jabber:client" from="bench@conference.localhost/U1" type="groupchat" id="m1" to="bench@conference.localhost">` +
		`<body>#mb:u1:17:1732901234567890123#</body><origin-id xmlns="urn:xmpp:sid:0" id="4f1c2e"/>` +
		`<occupant-id xmlns="urn:xmpp:occupant-id:0" id="Sm9obiBEb2UgaGFzIGEgbG9uZyBvY2N1cGFudCBpZA=="/>` +
		`<stanza-id xmlns="urn:xmpp:sid:0" by="bench@conference.localhost" id="b2c3d4e5-1111-2222-3333-444455556666"/></message>`)
	to := make([]string, 100)
	for i := range to {
		to[i] = "u" + strings.Repeat("x", i%7) + "@localhost/r"
	}
	for _, mode := range []string{"copies", "frozen", "frozen-attr"} {
		b.Run(mode, func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			for range b.N {
				tmpl := msg
				if mode != "copies" {
					tmpl = msg.Freeze()
				}
				for _, t := range to {
					if mode == "frozen-attr" {
						buf = tmpl.AppendToAttr(buf[:0], "jabber:client", "to", t)
					} else {
						buf = tmpl.ShallowCopy().SetAttr("to", t).AppendTo(buf[:0], "jabber:client")
					}
				}
			}
		})
	}
}
