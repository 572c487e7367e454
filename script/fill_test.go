package script

import (
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// TestFillSharesUnmarked checks fill: markers in attributes and text deep
// in a tree are replaced, every element on the way to them is a copy, the
// subtrees without markers are shared, and the compiled tree is untouched.
func TestFillSharesUnmarked(t *testing.T) {
	m0 := string(markerStart) + "0" + string(markerEnd)
	m1 := string(markerStart) + "1" + string(markerEnd)
	e := xmlnode.MustParse(`<message xmlns="jabber:client" to="r"><body>plain</body><x xmlns="u"><item jid="` + m0 + `/res"/><note>hi ` + m1 + `</note></x></message>`)
	before := e.String()
	got := fill(e, []string{"romeo@localhost", "juliet"})
	want := `<message xmlns="jabber:client" to="r"><body>plain</body><x xmlns="u"><item jid="romeo@localhost/res"/><note>hi juliet</note></x></message>`
	if got.String() != want {
		t.Errorf("fill = %s, want %s", got, want)
	}
	if e.String() != before {
		t.Errorf("the compiled tree changed: %s", e)
	}
	if got == e || got.Children[1] == e.Children[1] {
		t.Error("an element with a marker below it is shared, not copied")
	}
	if got.Children[0] != e.Children[0] {
		t.Error("<body/>, which has no marker, was copied instead of shared")
	}
	if plain := e.Children[0].(*xmlnode.Element); fill(plain, nil) != plain {
		t.Error("a tree without markers was copied")
	}
}
