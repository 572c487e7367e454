package component_test

import (
	"testing"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// addressed records RouteTo calls, as the server takes them.
type addressed struct {
	routed []*xmlnode.Element
	to     []string
}

func (a *addressed) Route(st *xmlnode.Element) { a.routed = append(a.routed, st) }

func (a *addressed) RouteTo(st *xmlnode.Element, to string) {
	a.routed = append(a.routed, st)
	a.to = append(a.to, to)
}

func TestRouteTo(t *testing.T) {
	tests := []struct {
		name string
		st   string
		to   string
		want string // what a plain Router gets
	}{
		{"no to", `<message xmlns="jabber:client" from="r@muc/n" type="groupchat"><body>x</body></message>`, "u@h/r",
			`<message xmlns="jabber:client" from="r@muc/n" type="groupchat" to="u@h/r"><body>x</body></message>`},
		{"to replaced", `<presence xmlns="jabber:client" to="r@muc" from="r@muc/n"/>`, "u@h/r",
			`<presence xmlns="jabber:client" to="u@h/r" from="r@muc/n"/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := xmlnode.MustParse(tt.st)

			var plain []*xmlnode.Element
			component.RouteTo(component.RouterFunc(func(e *xmlnode.Element) { plain = append(plain, e) }), st, tt.to)
			if len(plain) != 1 || plain[0] == st || plain[0].String() != tt.want {
				t.Errorf("plain Router got %v, want a copy %s", plain, tt.want)
			}

			ar := &addressed{}
			component.RouteTo(ar, st, tt.to)
			if len(ar.routed) != 1 || ar.routed[0] != st || ar.to[0] != tt.to {
				t.Errorf("AddressedRouter got %v to %q, want the stanza itself to %s", ar.routed, ar.to, tt.to)
			}

			if st.String() != xmlnode.MustParse(tt.st).String() {
				t.Errorf("RouteTo changed the stanza: %s", st)
			}
		})
	}
}
