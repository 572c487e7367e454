package match

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// parse reads XML the way the script parser does: inside a jabber:client
// default namespace, whitespace-only text dropped.
func parse(t testing.TB, s string) *xmlnode.Element {
	t.Helper()
	w, err := xmlnode.Parse(`<w xmlns="jabber:client">` + s + `</w>`)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return w.TrimSpace().Elements()[0]
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name     string
		expected string
		got      string
		wantPath string // "" means it must match
	}{
		// Names and namespaces.
		{"same stanza", `<presence/>`, `<presence/>`, ""},
		{"different stanza name", `<presence/>`, `<message/>`, "/presence"},
		{"payload namespace differs", `<iq><query xmlns="a"/></iq>`, `<iq><query xmlns="b"/></iq>`, "/iq/query{a}"},
		{"stanza in other namespace", `<presence/>`, `<presence xmlns="jabber:server"/>`, "/presence"},

		// Loose (jabber:client) attributes.
		{"loose: extra attribute allowed", `<presence from="a"/>`, `<presence from="a" to="b" xml:lang="en"/>`, ""},
		{"loose: missing attribute", `<presence type="unavailable"/>`, `<presence/>`, "/presence/@type"},
		{"loose: attribute value differs", `<presence from="a"/>`, `<presence from="b"/>`, "/presence/@from"},
		{"loose: xml:lang compared when expected", `<message xml:lang="en"/>`, `<message xml:lang="de"/>`, "/message/@xml:lang"},

		// Loose children.
		{"loose: extra children allowed", `<message><body>hi</body></message>`,
			`<message><thread>t</thread><body>hi</body><x xmlns="y"/></message>`, ""},
		{"loose: child order free", `<message><body>b</body><subject>s</subject></message>`,
			`<message><subject>s</subject><body>b</body></message>`, ""},
		{"loose: missing child", `<message><body>hi</body></message>`, `<message><subject>hi</subject></message>`, "/message/body"},
		{"loose: same-named child differs", `<message><body>hi</body></message>`, `<message><body>bye</body></message>`, "/message/body/text()"},
		{"loose: children matched to distinct received children", `<message><body>a</body><body>a</body></message>`,
			`<message><body>a</body></message>`, "/message/body"},
		{"loose: distinct assignment found by backtracking",
			`<presence><x xmlns="y" a="1"/><x xmlns="y" a="{scansion:any}"/></presence>`,
			`<presence><x xmlns="y" a="2"/><x xmlns="y" a="1"/></presence>`, ""},

		// Strict (namespaced) elements.
		{"strict: equal", `<presence><x xmlns="muc#user"><item role="moderator" affiliation="owner"/></x></presence>`,
			`<presence><x xmlns="muc#user"><item affiliation="owner" role="moderator"/></x></presence>`, ""},
		{"strict: extra attribute fails", `<presence><x xmlns="muc#user"><item role="moderator"/></x></presence>`,
			`<presence><x xmlns="muc#user"><item role="moderator" jid="a@b/c"/></x></presence>`, "/presence/x{muc#user}/item[1]/@jid"},
		{"strict: missing attribute fails", `<presence><x xmlns="muc#user"><item role="moderator" jid="j"/></x></presence>`,
			`<presence><x xmlns="muc#user"><item role="moderator"/></x></presence>`, "/presence/x{muc#user}/item[1]/@jid"},
		{"strict: extra child fails", `<presence><x xmlns="muc#user"><status code="110"/></x></presence>`,
			`<presence><x xmlns="muc#user"><status code="110"/><item/></x></presence>`, "/presence/x{muc#user}/item[2]"},
		{"strict: missing child fails", `<presence><x xmlns="muc#user"><status code="110"/><item/></x></presence>`,
			`<presence><x xmlns="muc#user"><status code="110"/></x></presence>`, "/presence/x{muc#user}/item[2]"},
		{"strict: order matters", `<presence><x xmlns="muc#user"><status code="201"/><item/><status code="110"/></x></presence>`,
			`<presence><x xmlns="muc#user"><item/><status code="201"/><status code="110"/></x></presence>`, "/presence/x{muc#user}/status[1]"},
		{"strict: namespace inherited by children", `<iq><query xmlns="q"><item a="1"/></query></iq>`,
			`<iq><query xmlns="q"><item a="1"/></query></iq>`, ""},
		{"strict: jabber:client child of strict element is loose",
			`<message><x xmlns="jabber:x:data"><field xmlns="jabber:client" var="a"/></x></message>`,
			`<message><x xmlns="jabber:x:data"><field xmlns="jabber:client" var="a" extra="1"/></x></message>`, ""},

		// scansion:strict override.
		{"scansion:strict=false relaxes a namespaced element", `<iq><query xmlns="q" scansion:strict="false"><item a="1"/></query></iq>`,
			`<iq><query xmlns="q" ver="7"><other/><item a="1" b="2"/></query></iq>`, "/iq/query{q}/item/@b"},
		{"scansion:strict=false element with loose child only", `<iq><query xmlns="q" scansion:strict="false"/></iq>`,
			`<iq><query xmlns="q" ver="7"><other/></query></iq>`, ""},
		{"scansion:strict=true on a jabber:client stanza", `<presence scansion:strict="true" from="a"/>`,
			`<presence from="a" to="b"/>`, "/presence/@to"},
		{"scansion:strict=true, no extra children", `<message scansion:strict="true"><body>x</body></message>`,
			`<message><body>x</body><subject/></message>`, "/message/subject[2]"},
		{"scansion:strict=true on empty namespaced query", `<iq><query xmlns="d" node="n" scansion:strict="true"/></iq>`,
			`<iq><query xmlns="d" node="n"><identity/></query></iq>`, "/iq/query{d}/identity[1]"},
		{"declared scansion namespace also works", `<presence xmlns:s="https://matthewwild.co.uk/projects/scansion" s:strict="true" from="a"/>`,
			`<presence from="a" to="b"/>`, "/presence/@to"},

		// {scansion:any}.
		{"any matches any value", `<iq id="{scansion:any}"/>`, `<iq id="x7"/>`, ""},
		{"any needs the attribute", `<iq id="{scansion:any}"/>`, `<iq/>`, "/iq/@id"},
		{"any in a strict element", `<iq><query xmlns="jabber:iq:roster" ver="{scansion:any}"/></iq>`,
			`<iq><query xmlns="jabber:iq:roster" ver="3"/></iq>`, ""},

		// Text.
		{"text trimmed", `<message><body>  hi there
		</body></message>`, `<message><body>hi there</body></message>`, ""},
		{"text ignored when expected has none", `<message><subject/></message>`, `<message><subject>topic</subject></message>`, ""},
		{"text differs", `<message><subject>a</subject></message>`, `<message><subject>b</subject></message>`, "/message/subject/text()"},
		{"text with entity", `<iq><note xmlns="c">a&#10;b</note></iq>`, `<iq><note xmlns="c">a
b</note></iq>`, ""},
		{"text expected, none received", `<message><body>hi</body></message>`, `<message><body/></message>`, "/message/body/text()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, got := parse(t, tt.expected), parse(t, tt.got)
			m := Match(exp, got)
			if tt.wantPath == "" {
				if m != nil {
					t.Fatalf("no match: %v", m)
				}
				return
			}
			if m == nil {
				t.Fatalf("matched, want mismatch at %s", tt.wantPath)
			}
			if m.Path != tt.wantPath {
				t.Errorf("mismatch at %s (%s), want %s", m.Path, m.Reason, tt.wantPath)
			}
			if m.Reason == "" || m.Expected == nil {
				t.Errorf("incomplete mismatch %+v", m)
			}
		})
	}
}

func TestFormatMarksDifference(t *testing.T) {
	exp := parse(t, `<presence><x xmlns="muc#user"><item role="moderator"/></x></presence>`)
	got := parse(t, `<presence from="r@c/n"><x xmlns="muc#user"><item role="visitor"/><status code="110"/></x></presence>`)
	m := Match(exp, got)
	if m == nil {
		t.Fatal("matched")
	}
	out := FormatMismatch(got, m)
	want := `<presence from="r@c/n">
	<x xmlns="muc#user">
		<item role="visitor"/>   <-- attribute role: expected "moderator", got "visitor"
		<status code="110"/>
	</x>
</presence>`
	if out != want {
		t.Errorf("FormatMismatch =\n%s\nwant\n%s", out, want)
	}
	if s := Format(parse(t, `<message><body>a &lt; b</body></message>`), nil, ""); !strings.Contains(s, "<body>a &lt; b</body>") {
		t.Errorf("Format text: %s", s)
	}
}

// stripScansion removes scansion markup, turning an expected stanza into
// one a server could send.
func stripScansion(e *xmlnode.Element) {
	out := e.Attr[:0]
	for _, a := range e.Attr {
		if !isScansionAttr(a) {
			out = append(out, a)
		}
	}
	e.Attr = out
	for _, c := range e.Elements() {
		stripScansion(c)
	}
}

func FuzzMatch(f *testing.F) {
	f.Add(`<presence from="a"><x xmlns="y"><item a="1"/></x></presence>`, `<presence from="a" to="b"><x xmlns="y"><item a="1"/></x></presence>`)
	f.Add(`<iq id="{scansion:any}"><q xmlns="z" scansion:strict="false"><i/><i/></q></iq>`, `<iq id="1"><q xmlns="z"><i/></q></iq>`)
	f.Add(`<message><body> x </body><b/><b/></message>`, `<message><b/><body>x</body></message>`)
	f.Add(`<iq id="{scansion:capture:a}"><q xmlns="z" v="{scansion:capture:a}"/></iq>`, `<iq id="1"><q xmlns="z" v="2"/></iq>`)
	f.Add(`<presence><x xmlns="u" scansion:strict="false"><s c="1"/><s c="2"/></x></presence>`, `<presence><x xmlns="u"><s c="2"/></x></presence>`)
	f.Fuzz(func(t *testing.T, a, b string) {
		ew, err := xmlnode.Parse(`<w xmlns="jabber:client">` + a + `</w>`)
		if err != nil || len(ew.Elements()) == 0 {
			return
		}
		exp := ew.TrimSpace().Elements()[0]
		// An expected stanza matches itself once the scansion markup is gone.
		self := exp.Copy()
		stripScansion(self)
		if m := Match(exp, self); m != nil {
			t.Fatalf("%s does not match itself: %v", exp, m)
		}
		gw, err := xmlnode.Parse(`<w xmlns="jabber:client">` + b + `</w>`)
		if err != nil || len(gw.Elements()) == 0 {
			return
		}
		got := gw.Elements()[0]
		m := Match(exp, got)
		if m != nil {
			_ = FormatMismatch(got, m)
		}
		// Diff finds differences exactly when Match does.
		d := Diff(exp, got, nil)
		if (m == nil) != (len(d) == 0) {
			t.Fatalf("Match = %v but Diff = %v", m, d)
		}
		_ = FormatDiff(got, d)
	})
}
