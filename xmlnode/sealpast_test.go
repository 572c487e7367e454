package xmlnode

import (
	"strings"
	"testing"
)

func TestSealedPast(t *testing.T) {
	many := "<x xmlns='urn:a'>" + strings.Repeat("<a/>", 100) + "</x>"
	for _, tc := range []struct {
		name, in string
		n        int
		kept     []string // local names of the element children kept as trees
		sealed   bool
	}{
		{"small", "<presence xmlns='jabber:client'><show>away</show><status>hi</status><c xmlns='http://jabber.org/protocol/caps' ver='v'/></presence>", 8, []string{"show", "status", "c"}, false},
		{"exactly n", "<presence xmlns='jabber:client'><a/><b/><c/></presence>", 4, []string{"a", "b", "c"}, false},
		{"one over", "<presence xmlns='jabber:client'><a/><b/><c/><d/></presence>", 4, []string{"a", "b", "c"}, true},
		{"a deep child", "<presence xmlns='jabber:client'><status>s</status>" + many + "<priority>1</priority></presence>", 64, []string{"status"}, true},
		{"many top-level", "<presence xmlns='jabber:client'><show>dnd</show>" + strings.Repeat("<a xmlns='urn:a'/>", 200) + "</presence>", 64, []string{"show", "a"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustParse(tc.in)
			want := e.String()
			got := e.SealedPast(tc.n)
			if s := got.String(); s != want {
				t.Errorf("encodes as\n%s\nwant\n%s", s, want)
			}
			if (got != e) != tc.sealed {
				t.Errorf("sealed %v, want %v", got != e, tc.sealed)
			}
			var names []string
			raws := 0
			for _, c := range got.Children {
				switch c := c.(type) {
				case *Element:
					if len(names) == 0 || names[len(names)-1] != c.Name.Local {
						names = append(names, c.Name.Local)
					}
				case *Raw:
					raws++
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.kept, ",") {
				t.Errorf("kept %v, want %v", names, tc.kept)
			}
			if tc.sealed && raws != 1 {
				t.Errorf("%d Raw children, want 1", raws)
			}
			if got.Expanded().String() != want {
				t.Errorf("Expanded differs")
			}
			if !tc.sealed {
				return
			}
			got.SetAttr("to", "x@y")
			if e.Attrib("to") != "" {
				t.Error("SetAttr on the result changed the original")
			}
		})
	}
}
