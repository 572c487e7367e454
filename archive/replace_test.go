package archive

import (
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

func TestReplace(t *testing.T) {
	at := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	msg := func(body string) *xmlnode.Element {
		return xmlnode.MustParse(`<message xmlns='jabber:client' from='r@c/n' id='x'><body>` + body + `</body></message>`)
	}
	wire := func(body string) int64 { // what the entry of a message with body costs
		a := New(Limits{})
		a.Append(Entry{ID: "a", With: "w@x", Msg: msg(body)})
		return a.Bytes()
	}
	for _, c := range []struct {
		name     string
		max      int64
		id       string
		with     string // the replacement's body
		found    bool
		wantIDs  string
		wantSize int64
	}{
		{name: "in place", id: "b", with: "gone", found: true, wantIDs: "a b c", wantSize: wire("one") + wire("gone") + wire("three")},
		{name: "unknown", id: "z", with: "gone", wantIDs: "a b c", wantSize: wire("one") + wire("two") + wire("three")},
		{name: "grows past the bound: the oldest go", max: wire("one") + wire("two") + wire("three") + 5, id: "c", with: "three and much more",
			found: true, wantIDs: "b c", wantSize: wire("two") + wire("three and much more")},
		{name: "larger than the bound: removed", max: wire("one") + wire("two") + wire("three") + 5, id: "b", with: strings.Repeat("x", 700),
			found: true, wantIDs: "a c", wantSize: wire("one") + wire("three")},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := New(Limits{MaxBytes: c.max})
			for i, b := range []string{"one", "two", "three"} {
				a.Append(Entry{ID: string(rune('a' + i)), With: "w@x", Msg: msg(b), At: at.Add(time.Duration(i) * time.Second)})
			}
			if got := a.Replace(c.id, msg(c.with)); got != c.found {
				t.Fatalf("Replace = %v, want %v", got, c.found)
			}
			p, _ := a.Query(Query{Max: 10}, nil)
			var ids []string
			for i := range p.Entries {
				ids = append(ids, p.Entries[i].ID)
				m, err := p.Entries[i].Message()
				if err != nil {
					t.Fatal(err)
				}
				if p.Entries[i].ID == c.id && c.found && m.ChildText(nsClient, "body") != c.with {
					t.Errorf("entry %s holds %s", c.id, m)
				}
				if p.Entries[i].With != "w@x" || !p.Entries[i].At.Equal(at.Add(time.Duration(p.Entries[i].ID[0]-'a')*time.Second)) {
					t.Errorf("entry %s lost its with or time", p.Entries[i].ID)
				}
			}
			if strings.Join(ids, " ") != c.wantIDs || a.Bytes() != c.wantSize {
				t.Errorf("archive %q of %d bytes, want %q of %d", ids, a.Bytes(), c.wantIDs, c.wantSize)
			}
		})
	}
	a := New(Limits{})
	a.Append(Entry{ID: "a", Msg: msg("one"), At: at})
	if !a.Remove("a") || a.Remove("a") || a.Len() != 0 || a.Bytes() != 0 {
		t.Errorf("Remove left %d messages, %d bytes", a.Len(), a.Bytes())
	}
}
