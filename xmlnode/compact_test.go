package xmlnode

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// sameTree reports how a and b differ (as a path and a reason), or "" when
// they are the same tree: names, attributes in order, and children, text
// compared by value.
func sameTree(a, b *Element) string {
	if a.Name != b.Name {
		return fmt.Sprintf("name %v vs %v", a.Name, b.Name)
	}
	if len(a.Attr) != len(b.Attr) {
		return fmt.Sprintf("<%s>: %d attributes vs %d", a.Name.Local, len(a.Attr), len(b.Attr))
	}
	for i := range a.Attr {
		if a.Attr[i] != b.Attr[i] {
			return fmt.Sprintf("<%s>: attribute %v vs %v", a.Name.Local, a.Attr[i], b.Attr[i])
		}
	}
	if len(a.Children) != len(b.Children) {
		return fmt.Sprintf("<%s>: %d children vs %d", a.Name.Local, len(a.Children), len(b.Children))
	}
	for i := range a.Children {
		switch x := a.Children[i].(type) {
		case Text:
			if y, ok := b.Children[i].(Text); !ok || x != y {
				return fmt.Sprintf("<%s>: child %d: %q vs %#v", a.Name.Local, i, x, b.Children[i])
			}
		case *Element:
			y, ok := b.Children[i].(*Element)
			if !ok {
				return fmt.Sprintf("<%s>: child %d: element vs %#v", a.Name.Local, i, b.Children[i])
			}
			if d := sameTree(x, y); d != "" {
				return a.Name.Local + "/" + d
			}
		default:
			return fmt.Sprintf("<%s>: child %d of type %T", a.Name.Local, i, x)
		}
	}
	return ""
}

// checkRoundTrip is the property every tree keeps: what it serialises to,
// in any namespace context, parses back to the same tree. It is checked
// for e and for each of variants (e's Freeze or Copy). A variant that is
// the same tree as e and writes the very bytes e wrote in a context needs
// no second parse there: those bytes were just shown to parse back to e's
// tree, which is the variant's (sameTree is an equivalence). That halves
// the cost of the property tests' 64 KB stanzas without checking less.
func checkRoundTrip(t *testing.T, e *Element, variants ...*Element) {
	t.Helper()
	contexts := []string{"", "jabber:client"}
	if e.Name.Space != "" && e.Name.Space != "jabber:client" {
		contexts = append(contexts, e.Name.Space)
	}
	all := append([]*Element{e}, variants...)
	same := make([]bool, len(all))
	for i, v := range all {
		same[i] = i > 0 && sameTree(e, v) == ""
	}
	for _, ns := range contexts {
		var wireE []byte
		for i, v := range all {
			w := v.AppendTo(nil, ns)
			if i == 0 {
				wireE = w
			} else if same[i] && bytes.Equal(w, wireE) {
				continue
			}
			checkWire(t, v, ns, string(w))
		}
	}
}

// checkWire checks that wire, e written in context ns, parses back to e.
func checkWire(t *testing.T, e *Element, ns, wire string) {
	t.Helper()
	if ns != "" {
		// The context's default namespace is declared by the
		// enclosing element on a stream; give it one.
		wire = `<wrap xmlns="` + ns + `">` + wire + `</wrap>`
	}
	back, err := Parse(wire)
	if err != nil {
		t.Fatalf("written in %q as %q, which does not parse: %v", ns, wire, err)
	}
	if ns != "" {
		if len(back.Children) != 1 {
			t.Fatalf("written in %q as %q: %d nodes", ns, wire, len(back.Children))
		}
		back = back.Children[0].(*Element)
	}
	if d := sameTree(e, back); d != "" {
		t.Fatalf("written in %q as %q, parses back different: %s", ns, wire, d)
	}
}

func TestRoundTripProperty(t *testing.T) {
	stanzas := []string{
		broadcastMsg,
		`<a xmlns:p="u" p:b="c" xml:lang="en"><![CDATA[x<y]]>&amp;<b/>tail</a>`,
		`<m xmlns="urn:a"><x xmlns="urn:b"><y xmlns="urn:a" v="&#9;&#10;&#13;&quot;'"/></x>text&#13;</m>`,
		`<iq xmlns="jabber:client" type="result"><query xmlns="jabber:iq:roster"><item jid="a@b" name="A"><group>G</group></item></query></iq>`,
	}
	for _, sh := range treeShapes {
		if raceEnabled && len(sh.stanza) > 4096 {
			continue // tested without the race detector
		}
		stanzas = append(stanzas, sh.stanza)
	}
	for _, s := range stanzas {
		e, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%.60q): %v", s, err)
		}
		checkRoundTrip(t, e, e.Freeze(), e.Copy())
	}
}

// TestReadCompact pins what makes a tree from Read compact: lists of
// exactly their length, and namespace and element names shared between
// the elements that use them rather than one copy each.
func TestReadCompact(t *testing.T) {
	e := readTree(t, `<iq xmlns="jabber:client"><query xmlns="jabber:iq:roster">`+
		`<item jid="a@b" name="A"><group>G</group><group>H</group></item>`+
		`<item jid="c@d" name="C" xmlns="jabber:iq:roster"><group>G</group></item>`+
		`<x xmlns="urn:example:unknown"/><x xmlns="urn:example:unknown"/></query></iq>`)
	var walk func(*Element)
	walk = func(el *Element) {
		if cap(el.Children) != len(el.Children) {
			t.Errorf("<%s>: %d children in room for %d", el.Name.Local, len(el.Children), cap(el.Children))
		}
		if cap(el.Attr) != len(el.Attr) {
			t.Errorf("<%s>: %d attributes in room for %d", el.Name.Local, len(el.Attr), cap(el.Attr))
		}
		for _, c := range el.Elements() {
			walk(c)
		}
	}
	walk(e)
	same := func(what, a, b string) {
		t.Helper()
		if a != b || unsafe.StringData(a) != unsafe.StringData(b) {
			t.Errorf("%s: %q and %q are two copies", what, a, b)
		}
	}
	q := e.Child("", "query")
	items := q.ChildrenNamed("", "item")
	xs := q.ChildrenNamed("", "x")
	same("a namespace declared again", items[0].Name.Space, items[1].Name.Space)
	same("a namespace inherited", q.Name.Space, items[0].Child("", "group").Name.Space)
	same("a namespace not in the table, declared again", xs[0].Name.Space, xs[1].Name.Space)
	same("a known namespace", e.Name.Space, knownNames["jabber:client"])
	same("an element name", items[0].Name.Local, items[1].Name.Local)
	same("a repeated attribute name", items[0].Attr[1].Name.Local, items[1].Attr[1].Name.Local)
	// Lists of exactly their length must still grow when appended to,
	// without touching a neighbour.
	g := items[0].Child("", "group")
	g.Append(Text("more"))
	if got := items[0].String(); !strings.Contains(got, "<group>Gmore</group><group>H</group>") {
		t.Errorf("after an append: %s", got)
	}
}

func TestMaxTreeBytes(t *testing.T) {
	stanza := `<message>` + strings.Repeat(`<a b="1"/>`, 100) + `</message>`
	read := func(lim Limits) error {
		d := xml.NewDecoder(strings.NewReader(stanza))
		tok, _ := d.Token()
		_, err := Read(d, tok.(xml.StartElement), lim)
		return err
	}
	// 100 elements, each an Element, a slot, an attribute and a few
	// bytes of names.
	need := 101*(elementBytes+slotBytes) + 100*attrBytes
	if err := read(Limits{MaxTreeBytes: need / 2}); !errors.Is(err, ErrTreeBytes) {
		t.Errorf("half the tree's size: %v, want ErrTreeBytes", err)
	}
	// Read after Read (pooled state) counts each tree alone.
	for range 3 {
		if err := read(Limits{MaxTreeBytes: need * 2}); err != nil {
			t.Errorf("twice the tree's size: %v", err)
		}
	}
	// The count follows what the heap keeps, within a factor: the
	// budget is a bound on memory, not on a formula.
	if r := treeBytesPerWireByte(t, stanza) * float64(len(stanza)); r < float64(need)/2 || r > float64(need)*2 {
		t.Errorf("tree keeps %.0f bytes, counted %d", r, need)
	}
	text := `<message><body>` + strings.Repeat("x", 10000) + `</body></message>`
	d := xml.NewDecoder(strings.NewReader(text))
	tok, _ := d.Token()
	if _, err := Read(d, tok.(xml.StartElement), Limits{MaxTreeBytes: 5000}); !errors.Is(err, ErrTreeBytes) {
		t.Errorf("10,000 bytes of text in a 5,000-byte budget: %v, want ErrTreeBytes", err)
	}
}

// TestFrozenEntry checks the Freeze serialisation kept past the child
// list's length: used while the list is unchanged, ignored (and never
// written) once the list is appended to or edited in place.
func TestFrozenEntry(t *testing.T) {
	plain := MustParse(broadcastMsg)
	f := plain.Freeze()
	f.frozenOf().xml = frozenSentinel
	if got := f.String(); !strings.Contains(got, frozenSentinel) {
		t.Fatalf("frozen copy not written from its bytes: %s", got)
	}
	if got := f.ShallowCopy().String(); !strings.Contains(got, frozenSentinel) {
		t.Errorf("shallow copy of a frozen copy not written from its bytes: %s", got)
	}
	appended := f.ShallowCopy()
	appended.Children = append(appended.Children, Text("x"))
	if got, want := appended.String(), plain.Copy().Append(Text("x")).String(); got != want {
		t.Errorf("after an append: %s, want %s", got, want)
	}
	// An in-place edit that drops a child and puts another in its
	// place keeps the length: the entry is still there, and must not
	// be used.
	edited := f.ShallowCopy()
	edited.Children[0] = New("urn:x", "y")
	if got := edited.String(); strings.Contains(got, frozenSentinel) || !strings.Contains(got, `<y xmlns="urn:x"/>`) {
		t.Errorf("after an in-place edit: %s", got)
	}
	cut := f.ShallowCopy()
	cut.Children = cut.Children[:1]
	if got := cut.String(); strings.Contains(got, frozenSentinel) {
		t.Errorf("after truncating: %s", got)
	}
	// The entry is past the length: no reader of the tree sees it.
	for _, el := range []*Element{f, f.ShallowCopy(), cut} {
		for _, c := range el.Children {
			if _, ok := c.(*frozenChildren); ok {
				t.Errorf("a child list holds its Freeze serialisation: %v", el.Children)
			}
		}
	}
}

func TestParseIn(t *testing.T) {
	for _, s := range []string{broadcastMsg, `<message xmlns="jabber:client"/>`, `<x xmlns="urn:x" xmlns:p="urn:p" p:a="1"><y/><z xmlns="jabber:client"/></x>`} {
		e := MustParse(s)
		for _, ns := range []string{"", "jabber:client", "urn:x"} {
			wire := string(e.AppendTo(nil, ns))
			back, err := ParseIn(wire, ns)
			if err != nil {
				t.Fatalf("ParseIn(%q, %q): %v", wire, ns, err)
			}
			if d := sameTree(e, back); d != "" {
				t.Errorf("ParseIn(%q, %q): %s", wire, ns, d)
			}
		}
	}
}
