package xmlnode

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestAppendToAttr checks that encoding with one attribute overridden gives
// the bytes of a copy with that attribute set, on every shape of element,
// and leaves the element as it was.
func TestAppendToAttr(t *testing.T) {
	tests := []struct {
		name       string
		el         func() *Element
		parentNS   string
		local, val string
		want       string
	}{
		{name: "no to: added last",
			el: func() *Element {
				return MustParse(`<message xmlns="jabber:client" from="r@muc/n" type="groupchat"><body>hi</body></message>`)
			},
			parentNS: "jabber:client", local: "to", val: "u@h/r",
			want: `<message from="r@muc/n" type="groupchat" to="u@h/r"><body>hi</body></message>`},
		{name: "to replaced in place",
			el: func() *Element {
				return MustParse(`<message xmlns="jabber:client" to="room@muc" from="r@muc/n" id="1"/>`)
			},
			parentNS: "jabber:client", local: "to", val: "u@h/r",
			want: `<message to="u@h/r" from="r@muc/n" id="1"/>`},
		{name: "only the first of two",
			el: func() *Element {
				e := New("jabber:client", "presence", "to", "a", "from", "b")
				e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: "to"}, Value: "c"})
				return e
			},
			parentNS: "jabber:client", local: "to", val: "u@h/r",
			want: `<presence to="u@h/r" from="b" to="c"/>`},
		{name: "namespaced attribute of the same name kept",
			el:       func() *Element { return MustParse(`<message xmlns="jabber:client" xmlns:p="urn:p" p:to="x" id="1"/>`) },
			parentNS: "jabber:client", local: "to", val: "u@h/r",
			want: `<message xmlns:ns0="urn:p" ns0:to="x" id="1" to="u@h/r"/>`},
		{name: "value escaped",
			el:       func() *Element { return New("jabber:client", "message") },
			parentNS: "jabber:client", local: "to", val: `a&b<'"` + "\n",
			want: `<message to="a&amp;b&lt;&apos;&quot;&#xA;"/>`},
		{name: "other parent namespace: xmlns written",
			el: func() *Element {
				return MustParse(`<iq xmlns="jabber:client" type="get"><ping xmlns="urn:xmpp:ping"/></iq>`)
			},
			parentNS: "", local: "to", val: "h",
			want: `<iq xmlns="jabber:client" type="get" to="h"><ping xmlns="urn:xmpp:ping"/></iq>`},
		{name: "frozen children used",
			el:       func() *Element { return MustParse(broadcastMsg).Freeze() },
			parentNS: "jabber:client", local: "to", val: "juliet@capulet/balcony"},
		{name: "frozen, to already set",
			el:       func() *Element { return MustParse(broadcastMsg).SetAttr("to", "room@muc").Freeze() },
			parentNS: "jabber:client", local: "to", val: "juliet@capulet/balcony"},
		{name: "another attribute",
			el:       func() *Element { return MustParse(`<presence xmlns="jabber:client" from="a"/>`) },
			parentNS: "jabber:client", local: "type", val: "unavailable",
			want: `<presence from="a" type="unavailable"/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.el()
			before := e.String()
			copied := string(e.ShallowCopy().SetAttr(tt.local, tt.val).AppendTo(nil, tt.parentNS))
			got := string(e.AppendToAttr([]byte("prefix"), tt.parentNS, tt.local, tt.val))
			if got != "prefix"+copied {
				t.Errorf("AppendToAttr:\n%s\ncopy with SetAttr:\nprefix%s", got, copied)
			}
			if tt.want != "" && copied != tt.want {
				t.Errorf("got\n%s\nwant\n%s", copied, tt.want)
			}
			if e.String() != before {
				t.Errorf("element changed: %s, was %s", e, before)
			}
		})
	}
}

// TestAppendToAttrFrozenBytes checks that the override keeps using a
// Freeze serialisation: the sentinel put in its place is what is written.
func TestAppendToAttrFrozenBytes(t *testing.T) {
	f := MustParse(broadcastMsg).Freeze()
	f.frozenOf().xml = frozenSentinel
	got := string(f.AppendToAttr(nil, "jabber:client", "to", "u@h/r"))
	want := string(f.ShallowCopy().SetAttr("to", "u@h/r").AppendTo(nil, "jabber:client"))
	if got != want || len(got) == 0 || !strings.Contains(got, frozenSentinel) {
		t.Errorf("got %s\nwant %s (with the sentinel)", got, want)
	}
}

// TestAppendToAttrAllocs pins the point of AppendToAttr: addressing a
// stanza into a buffer with room allocates nothing.
func TestAppendToAttrAllocs(t *testing.T) {
	f := MustParse(broadcastMsg).Freeze()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		buf = f.AppendToAttr(buf[:0], "jabber:client", "to", "juliet@capulet/balcony")
	})
	if allocs != 0 {
		t.Errorf("AppendToAttr allocates %v times per call, want 0", allocs)
	}
}
