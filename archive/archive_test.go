package archive

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func msg(from, to, body string) *xmlnode.Element {
	m := xmlnode.New("jabber:client", "message", "from", from, "to", to, "type", "chat")
	m.AddChild("jabber:client", "body").SetText(body)
	return m
}

// fill archives n messages, alternately with juliet and nurse, one a minute.
func fill(a *Archive, n int) {
	for i := range n {
		with := "juliet@localhost"
		if i%2 == 1 {
			with = "nurse@localhost"
		}
		a.Append(Entry{ID: "id" + strconv.Itoa(i), With: with, Msg: msg("romeo@localhost/r", with, "m"+strconv.Itoa(i)), At: t0.Add(time.Duration(i) * time.Minute)})
	}
}

func ids(p Page) string {
	var s []string
	for _, e := range p.Entries {
		s = append(s, e.ID)
	}
	return strings.Join(s, ",")
}

func TestQuery(t *testing.T) {
	a := New(Limits{})
	fill(a, 6)
	form := func(fields ...string) string {
		s := `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>urn:xmpp:mam:2</value></field>`
		for i := 0; i < len(fields); i += 2 {
			s += `<field var="` + fields[i] + `"><value>` + fields[i+1] + `</value></field>`
		}
		return s + `</x>`
	}
	tests := []struct {
		name, query, want string
		count             int
		complete          bool
		cond              string
	}{
		{"everything", ``, "id0,id1,id2,id3,id4,id5", 6, true, ""},
		{"first page", `<set xmlns="http://jabber.org/protocol/rsm"><max>2</max></set>`, "id0,id1", 6, false, ""},
		{"next page", `<set xmlns="http://jabber.org/protocol/rsm"><max>2</max><after>id1</after></set>`, "id2,id3", 6, false, ""},
		{"last page", `<set xmlns="http://jabber.org/protocol/rsm"><max>2</max><before/></set>`, "id4,id5", 6, false, ""},
		{"page before", `<set xmlns="http://jabber.org/protocol/rsm"><max>2</max><before>id4</before></set>`, "id2,id3", 6, false, ""},
		{"final page backwards", `<set xmlns="http://jabber.org/protocol/rsm"><max>2</max><before>id2</before></set>`, "id0,id1", 6, true, ""},
		{"with", form("with", "nurse@localhost"), "id1,id3,id5", 3, true, ""},
		{"with full JID", form("with", "nurse@localhost/x"), "", 0, true, ""},
		{"start and end", form("start", "2026-12-01T10:02:00Z", "end", "2026-12-01T10:03:00Z"), "id2,id3", 2, true, ""},
		{"ids", `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>urn:xmpp:mam:2</value></field><field var="ids"><value>id4</value><value>id1</value></field></x>`, "id1,id4", 2, true, ""},
		{"after-id field", form("after-id", "id3"), "id4,id5", 6, true, ""},
		{"unknown after", `<set xmlns="http://jabber.org/protocol/rsm"><after>nope</after></set>`, "", 0, false, "item-not-found"},
		{"bad date", form("start", "yesterday"), "", 0, false, "bad-request"},
		{"bad form type", `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>urn:other</value></field></x>`, "", 0, false, "bad-request"},
		{"bad max", `<set xmlns="http://jabber.org/protocol/rsm"><max>-1</max></set>`, "", 0, false, "bad-request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery(xmlnode.MustParse(`<query xmlns="urn:xmpp:mam:2" queryid="q">` + tt.query + `</query>`))
			var p Page
			if err == nil {
				p, err = a.Query(q, nil)
			}
			if tt.cond != "" {
				if e, ok := err.(*Error); !ok || e.Condition != tt.cond {
					t.Fatalf("got %v, want %s", err, tt.cond)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(p); got != tt.want || p.Count != tt.count || p.Complete != tt.complete {
				t.Fatalf("got %q count %d complete %v, want %q %d %v", got, p.Count, p.Complete, tt.want, tt.count, tt.complete)
			}
		})
	}
}

func TestResultsAndFin(t *testing.T) {
	a := New(Limits{})
	fill(a, 2)
	q, _ := ParseQuery(xmlnode.MustParse(`<query xmlns="urn:xmpp:mam:2" queryid="q1"><flip-page/></query>`))
	p, err := a.Query(q, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := p.Results("", "romeo@localhost/r", nil)
	if len(rs) != 2 {
		t.Fatalf("%d results", len(rs))
	}
	want := `<message xmlns="jabber:client" to="romeo@localhost/r"><result xmlns="urn:xmpp:mam:2" queryid="q1" id="id1"><forwarded xmlns="urn:xmpp:forward:0"><delay xmlns="urn:xmpp:delay" stamp="2026-12-01T10:01:00Z"/><message xmlns="jabber:client" from="romeo@localhost/r" to="nurse@localhost" type="chat"><body>m1</body></message></forwarded></result></message>`
	if got := rs[0].String(); got != want {
		t.Fatalf("flipped first result\n got %s\nwant %s", got, want)
	}
	wantFin := `<fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><first>id0</first><last>id1</last><count>2</count></set></fin>`
	if got := p.Fin().String(); got != wantFin {
		t.Fatalf("fin\n got %s\nwant %s", got, wantFin)
	}
	wantMD := `<metadata xmlns="urn:xmpp:mam:2"><start id="id0" timestamp="2026-12-01T10:00:00Z"/><end id="id1" timestamp="2026-12-01T10:01:00Z"/></metadata>`
	if got := a.Metadata().String(); got != wantMD {
		t.Fatalf("metadata\n got %s\nwant %s", got, wantMD)
	}
	if got := New(Limits{}).Metadata().String(); got != `<metadata xmlns="urn:xmpp:mam:2"/>` {
		t.Fatalf("empty metadata %s", got)
	}
}

func TestBounds(t *testing.T) {
	first := New(Limits{})
	fill(first, 1)
	one := first.Bytes() // what one message costs
	tests := []struct {
		name  string
		lim   Limits
		n     int
		first string
		left  int
	}{
		{"count", Limits{MaxItems: 3}, 5, "id2", 3},
		{"bytes", Limits{MaxBytes: 2*one + 2}, 5, "id3", 2},
		{"retention", Limits{Retention: 90 * time.Second}, 5, "id3", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(tt.lim)
			fill(a, tt.n)
			if a.Len() != tt.left || a.entries[0].ID != tt.first {
				t.Fatalf("%d left, first %s", a.Len(), a.entries[0].ID)
			}
			var sum int64
			for _, e := range a.entries {
				sum += e.size
			}
			if sum != a.Bytes() {
				t.Fatalf("bytes %d, counted %d", a.Bytes(), sum)
			}
		})
	}
	a := New(Limits{MaxBytes: 10})
	if a.Append(Entry{ID: "x", Msg: msg("a", "b", "too long for the archive"), At: t0}) || a.Len() != 0 {
		t.Fatal("a message larger than the archive was kept")
	}
	b := New(Limits{Retention: time.Minute})
	fill(b, 3)
	b.Expire(t0.Add(time.Hour))
	if b.Len() != 0 || b.Bytes() != 0 {
		t.Fatalf("expired archive keeps %d (%d bytes)", b.Len(), b.Bytes())
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add(`<query xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"><max>2</max><before/></set></query>`)
	f.Add(`<query xmlns="urn:xmpp:mam:2"><x xmlns="jabber:x:data"><field var="ids"><value>a</value></field></x><flip-page/></query>`)
	a := New(Limits{})
	fill(a, 4)
	f.Fuzz(func(t *testing.T, s string) {
		el, err := xmlnode.Parse(s)
		if err != nil {
			return
		}
		q, err := ParseQuery(el)
		if err != nil {
			return
		}
		if q.Max > MaxPageSize || q.Max < 0 {
			t.Fatalf("page size %d", q.Max)
		}
		p, err := a.Query(q, nil)
		if err == nil && len(p.Entries) > q.Max {
			t.Fatalf("page of %d over max %d", len(p.Entries), q.Max)
		}
	})
}
