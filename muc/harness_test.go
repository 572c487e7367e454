package muc

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/xmlnode"
)

// harness drives a Service directly with a fake router that collects what
// it routes, the unit-test counterpart of the scansion scripts.
type harness struct {
	t   *testing.T
	svc *Service
	out []*xmlnode.Element
	ids int
	// shared counts, for an addressed harness, the stanzas RouteTo got
	// (each once, however many recipients it had) since the last send.
	shared map[*xmlnode.Element]int
}

// addressedRouter is the harness's router as the server is one: a
// component.AddressedRouter. RouteTo records an addressed copy made at call
// time, which is what the server sends, so tests read both kinds of
// harness the same way.
type addressedRouter struct{ h *harness }

func (r addressedRouter) Route(st *xmlnode.Element) { r.h.out = append(r.h.out, st.Expanded()) }

func (r addressedRouter) RouteTo(st *xmlnode.Element, to string) {
	r.h.out = append(r.h.out, st.ShallowCopy().SetAttr("to", to).Expanded())
	r.h.shared[st]++
}

// newAddressedHarness is newHarness with an AddressedRouter: the service
// takes its routeTo path, as it does under the server.
func newAddressedHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.shared = make(map[*xmlnode.Element]int)
	h.svc.cfg.Router = addressedRouter{h}
	return h
}

const (
	romeo   = "romeo@localhost/garden"
	juliet  = "juliet@localhost/balcony"
	nurse   = "nurse@localhost/kitchen"
	admin   = "admin@localhost/console"
	service = "conference.localhost"
)

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t}
	h.svc = New(Config{
		Domain: service,
		// What is routed is read as a client reads it off the wire: a
		// history message's children, kept serialised, parsed back.
		Router: component.RouterFunc(func(st *xmlnode.Element) { h.out = append(h.out, st.Expanded()) }),
		Admins: []string{"Admin@localhost"},
		Now:    func() time.Time { return time.Date(2008, 8, 22, 21, 9, 4, 0, time.UTC) },
		NewID: func() string {
			h.ids++
			return fmt.Sprintf("id%d", h.ids)
		},
	})
	return h
}

// parse reads a stanza written without namespace as a jabber:client one.
func parse(t testing.TB, s string) *xmlnode.Element {
	t.Helper()
	w, err := xmlnode.Parse("<wrap xmlns='jabber:client'>" + s + "</wrap>")
	if err != nil {
		t.Fatalf("bad test stanza %q: %v", s, err)
	}
	w.TrimSpace()
	els := w.Elements()
	if len(els) != 1 {
		t.Fatalf("want one stanza in %q", s)
	}
	return els[0]
}

// send hands the stanza (from is set on it) to the service and returns
// everything it routed.
func (h *harness) send(from, s string) []*xmlnode.Element {
	h.t.Helper()
	st := parse(h.t, s)
	st.SetAttr("from", from)
	h.out = nil
	if h.shared != nil {
		clear(h.shared)
	}
	h.svc.HandleStanza(st)
	return h.out
}

// expect checks that got matches want one for one, in order, with the
// scansion rules of package match.
func (h *harness) expect(got []*xmlnode.Element, want ...string) {
	h.t.Helper()
	for i, w := range want {
		if i >= len(got) {
			h.t.Fatalf("stanza %d missing; want:\n%s\ngot %d stanzas:\n%s", i, w, len(got), dump(got))
		}
		if m := match.Match(parse(h.t, w), got[i]); m != nil {
			h.t.Fatalf("stanza %d does not match:\n%s\nwant:\n%s\nall:\n%s", i, match.FormatMismatch(got[i], m), w, dump(got))
		}
	}
	if len(got) > len(want) {
		h.t.Fatalf("%d unexpected stanzas after %d expected:\n%s", len(got)-len(want), len(want), dump(got[len(want):]))
	}
}

func dump(els []*xmlnode.Element) string {
	var b strings.Builder
	for _, e := range els {
		b.WriteString(e.String())
		b.WriteString("\n")
	}
	return b.String()
}

// join sends a MUC join and returns what it caused.
func (h *harness) join(from, room, nick string, extra ...string) []*xmlnode.Element {
	h.t.Helper()
	return h.send(from, fmt.Sprintf(`<presence to='%s@%s/%s'><x xmlns='http://jabber.org/protocol/muc'>%s</x></presence>`,
		room, service, nick, strings.Join(extra, "")))
}

// configure submits a configuration form with the given fields.
func (h *harness) configure(from, room string, fields map[string]string) []*xmlnode.Element {
	h.t.Helper()
	var b strings.Builder
	b.WriteString(`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>`)
	for k, v := range fields {
		fmt.Fprintf(&b, `<field var='%s'><value>%s</value></field>`, k, v)
	}
	return h.send(from, fmt.Sprintf(`<iq type='set' id='cfg' to='%s@%s'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>%s</x></query></iq>`,
		room, service, b.String()))
}

// createRoom makes from the owner of an unlocked room with the given
// configuration.
func (h *harness) createRoom(from, room, nick string, fields map[string]string) {
	h.t.Helper()
	h.join(from, room, nick)
	h.configure(from, room, fields)
}
