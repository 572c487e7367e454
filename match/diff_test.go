package match

import (
	"strings"
	"testing"
)

func TestCaptures(t *testing.T) {
	tests := []struct {
		name     string
		caps     Captures
		expected string
		got      string
		wantPath string   // "" means it must match
		wantNew  Captures // bindings made on a match
	}{
		{"first use binds", nil, `<iq id="{scansion:capture:q}"/>`, `<iq id="abc"/>`, "", Captures{"q": "abc"}},
		{"bound value matches", Captures{"q": "abc"}, `<iq id="{scansion:capture:q}"/>`, `<iq id="abc"/>`, "", nil},
		{"bound value differs", Captures{"q": "abc"}, `<iq id="{scansion:capture:q}"/>`, `<iq id="xyz"/>`, "/iq/@id", nil},
		{"two uses in one stanza must agree", nil,
			`<iq><r xmlns="m" a="{scansion:capture:x}"><d xmlns="d" b="{scansion:capture:x}"/></r></iq>`,
			`<iq><r xmlns="m" a="1"><d xmlns="d" b="2"/></r></iq>`, "/iq/r{m}/d{d}[1]/@b", nil},
		{"two uses in one stanza agree", nil,
			`<iq><r xmlns="m" a="{scansion:capture:x}"><d xmlns="d" b="{scansion:capture:x}"/></r></iq>`,
			`<iq><r xmlns="m" a="1"><d xmlns="d" b="1"/></r></iq>`, "", Captures{"x": "1"}},
		{"capture in text", nil, `<message><body>{scansion:capture:b}</body></message>`,
			`<message><body>hello</body></message>`, "", Captures{"b": "hello"}},
		{"capture needs the attribute", nil, `<iq id="{scansion:capture:q}"/>`, `<iq/>`, "/iq/@id", nil},
		{"no binding from a stanza that fails elsewhere", nil, `<iq id="{scansion:capture:q}" type="result"/>`,
			`<iq id="abc" type="error"/>`, "/iq/@type", nil},
		{"loose children: binding from the child finally chosen", nil,
			`<message><x xmlns="a" v="{scansion:capture:v}" k="2"/></message>`,
			`<message><x xmlns="a" v="one" k="1"/><x xmlns="a" v="two" k="2"/></message>`, "", Captures{"v": "two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, binds := MatchCaptures(parse(t, tt.expected), parse(t, tt.got), tt.caps)
			if tt.wantPath == "" {
				if m != nil {
					t.Fatalf("no match: %v", m)
				}
				if len(binds) != len(tt.wantNew) {
					t.Fatalf("bindings %v, want %v", binds, tt.wantNew)
				}
				for k, v := range tt.wantNew {
					if binds[k] != v {
						t.Errorf("binding %s = %q, want %q", k, binds[k], v)
					}
				}
				return
			}
			if m == nil {
				t.Fatalf("matched (bindings %v), want mismatch at %s", binds, tt.wantPath)
			}
			if m.Path != tt.wantPath {
				t.Errorf("mismatch at %s (%s), want %s", m.Path, m.Reason, tt.wantPath)
			}
			if binds != nil {
				t.Errorf("a mismatch returned bindings %v", binds)
			}
		})
	}
	if m, _ := MatchCaptures(parse(t, `<iq id="{scansion:capture:q}"/>`), parse(t, `<iq id="xyz"/>`), Captures{"q": "abc"}); m == nil ||
		!strings.Contains(m.Reason, `capture q is "abc", got "xyz"`) || m.Capture != "q" {
		t.Errorf("reason for a bound capture = %+v", m)
	}
}

func TestDiffMarksEveryDifference(t *testing.T) {
	tests := []struct {
		name     string
		expected string
		got      string
		want     string // FormatDiff output
	}{
		{"two attributes and a child",
			`<presence from="a" type="unavailable"><x xmlns="muc#user"><item role="none"/><status code="110"/></x></presence>`,
			`<presence from="b"><x xmlns="muc#user"><item role="visitor"/><status code="307"/></x></presence>`,
			`<presence from="b">   <-- attribute from: expected "a", got "b"; attribute type missing (expected "unavailable")
	<x xmlns="muc#user">
		<item role="visitor"/>   <-- attribute role: expected "none", got "visitor"
		<status code="307"/>   <-- attribute code: expected "110", got "307"
	</x>
</presence>`},
		{"missing child blamed on the parent, not on a sibling that matches another",
			`<presence><x xmlns="muc#user" scansion:strict="false"><status code="110"/><status code="201"/></x></presence>`,
			`<presence><x xmlns="muc#user"><status code="201"/></x></presence>`,
			`<presence>
	<x xmlns="muc#user">   <-- missing child <status code="110"/>
		<status code="201"/>
</x>
</presence>`},
		{"loose: closest same-named child is blamed",
			`<message><body>hi</body><thread>t1</thread></message>`,
			`<message><thread>t2</thread><body>hi</body></message>`,
			`<message>
	<thread>t2</thread>   <-- text: expected "t1", got "t2"
	<body>hi</body>
</message>`},
		{"strict: missing and extra children",
			`<iq><query xmlns="q"><a/><b/></query></iq>`,
			`<iq><query xmlns="q"><a x="1"/></query></iq>`,
			`<iq>
	<query xmlns="q">   <-- missing child <b/> (strict element has only 1 children)
		<a x="1"/>   <-- unexpected attribute x="1" (strict element)
	</query>
</iq>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, got := parse(t, tt.expected), parse(t, tt.got)
			diffs := Diff(exp, got, nil)
			if len(diffs) == 0 {
				t.Fatal("no difference")
			}
			if Match(exp, got) == nil {
				t.Fatal("Match found none")
			}
			if out := FormatDiff(got, diffs); strings.ReplaceAll(out, "\n</x>", "\n\t</x>") != strings.ReplaceAll(tt.want, "\n</x>", "\n\t</x>") {
				t.Errorf("FormatDiff =\n%s\nwant\n%s", out, tt.want)
			}
		})
	}
	if d := Diff(parse(t, `<presence/>`), parse(t, `<presence from="x"/>`), nil); d != nil {
		t.Errorf("Diff of a match = %v", d)
	}
}
