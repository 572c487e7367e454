package match

import (
	"reflect"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// quietCases pair expected and received stanzas over every rule: names,
// loose and strict attributes and children, text, {scansion:any}, and
// captures bound before, bound by the stanza and clashing within it.
var quietCases = []struct {
	caps          Captures
	expected, got string
}{
	{nil, `<presence from="a"><x xmlns="y"><item a="1"/></x></presence>`, `<presence from="a" to="b"><x xmlns="y"><item a="1"/></x></presence>`},
	{nil, `<presence from="a"/>`, `<presence from="b"/>`},
	{nil, `<presence from="a"/>`, `<message from="a"/>`},
	{nil, `<presence from="a"/>`, `<presence/>`},
	{nil, `<iq><q xmlns="z" a="1"/></iq>`, `<iq><q xmlns="z" a="1" b="2"/></iq>`},
	{nil, `<iq><q xmlns="z"><i/></q></iq>`, `<iq><q xmlns="z"><i/><i/></q></iq>`},
	{nil, `<iq><q xmlns="z"><i/><i/></q></iq>`, `<iq><q xmlns="z"><i/></q></iq>`},
	{nil, `<iq><q xmlns="z"><i/><j/></q></iq>`, `<iq><q xmlns="z"><j/><i/></q></iq>`},
	{nil, `<iq id="{scansion:any}"><q xmlns="z" scansion:strict="false"><i/><i/></q></iq>`, `<iq id="1"><q xmlns="z"><i/></q></iq>`},
	{nil, `<iq id="{scansion:any}"/>`, `<iq/>`},
	{nil, `<message><body> x </body><b/><b/></message>`, `<message><b/><body>x</body></message>`},
	{nil, `<message><body> x </body><b/><b/></message>`, `<message><b/><b/><body>x</body></message>`},
	{nil, `<message><subject>a</subject></message>`, `<message><subject>b</subject></message>`},
	{nil, `<message><b a="1"/><b a="2"/></message>`, `<message><b a="2"/><b a="1"/></message>`},
	{nil, `<message><b a="1"/><b a="1"/></message>`, `<message><b a="1"/><b a="2"/></message>`},
	{nil, `<iq id="{scansion:capture:a}"><q xmlns="z" v="{scansion:capture:a}"/></iq>`, `<iq id="1"><q xmlns="z" v="2"/></iq>`},
	{nil, `<iq id="{scansion:capture:a}"><q xmlns="z" v="{scansion:capture:a}"/></iq>`, `<iq id="1"><q xmlns="z" v="1"/></iq>`},
	{Captures{"a": "1"}, `<iq id="{scansion:capture:a}"/>`, `<iq id="1"/>`},
	{Captures{"a": "1"}, `<iq id="{scansion:capture:a}"/>`, `<iq id="2"/>`},
	{nil, `<message><body>{scansion:capture:b}</body></message>`, `<message><body>hello</body></message>`},
	{nil, `<message><x xmlns="a" v="{scansion:capture:v}" k="2"/></message>`, `<message><x xmlns="a" v="one" k="1"/><x xmlns="a" v="two" k="2"/></message>`},
	{nil, `<presence><x xmlns="u" scansion:strict="false"><s c="1"/><s c="2"/></x></presence>`, `<presence><x xmlns="u"><s c="2"/></x></presence>`},
	{nil, `<presence><x xmlns="u" scansion:strict="true"><s/></x></presence>`, `<presence><x xmlns="u"><s/><t/></x></presence>`},
	{nil, `<message scansion:strict="true" to="a"/>`, `<message to="a" from="b"/>`},
}

// TestMatchesCapturesAgrees checks that the quiet comparison gives the
// answer, and the captures, of the explaining one.
func TestMatchesCapturesAgrees(t *testing.T) {
	for _, c := range quietCases {
		checkQuiet(t, parse(t, c.expected), parse(t, c.got), c.caps)
	}
}

func checkQuiet(t *testing.T, exp, got *xmlnode.Element, caps Captures) {
	t.Helper()
	m, want := MatchCaptures(exp, got, caps)
	ok, binds := MatchesCaptures(exp, got, caps)
	if ok != (m == nil) || !reflect.DeepEqual(binds, want) {
		t.Errorf("expected %s, got %s, caps %v: MatchesCaptures = %v %v, MatchCaptures = %v %v", exp, got, caps, ok, binds, m, want)
	}
}

func FuzzMatchesCaptures(f *testing.F) {
	for _, c := range quietCases {
		f.Add(c.expected, c.got)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ew, err := xmlnode.Parse(`<w xmlns="jabber:client">` + a + `</w>`)
		if err != nil || len(ew.Elements()) == 0 {
			return
		}
		gw, err := xmlnode.Parse(`<w xmlns="jabber:client">` + b + `</w>`)
		if err != nil || len(gw.Elements()) == 0 {
			return
		}
		exp, got := ew.TrimSpace().Elements()[0], gw.Elements()[0]
		checkQuiet(t, exp, got, nil)
		checkQuiet(t, exp, got, Captures{"a": "1", "b": "hello"})
	})
}
