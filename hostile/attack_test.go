package hostile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// This file holds the regressions of what cmd/mucattack found against
// mucd's defaults: stores bounded per account but not for the server, so
// that an attacker with many accounts (any-password mode makes them on
// login) fills memory while each account stays within its quota.

// TestPEPPoolManyAccounts: eight accounts publish 240 KB of PEP items
// each, within their own service's MaxServiceBytes; the pool of every
// account's PEP service (PoolBytes 1 MiB) refuses the rest with
// resource-constraint (wait). (mucattack pep-publish-flood.)
func TestPEPPoolManyAccounts(t *testing.T) {
	e := newEnv(t, server.Config{AnyPassword: true, Without: []string{"pep"}, Modules: []module.Module{pep.Module{PoolBytes: 1 << 20}}})
	w := e.watch("watcher")
	base := heapBaseline()
	big := strings.Repeat("z", 16<<10)
	const accounts, per = 8, 15 // 1.9 MB: four accounts fill the pool
	var first *xmlnode.Element
	for a := range accounts {
		c := e.dial(fmt.Sprintf("publisher%d", a), "p")
		errs := flood(t, c, per, func(i int) *xmlnode.Element {
			ps := xmlnode.New("http://jabber.org/protocol/pubsub", "pubsub")
			it := ps.AddChild("http://jabber.org/protocol/pubsub", "publish", "node", fmt.Sprintf("urn:attack:%d", i)).
				AddChild("http://jabber.org/protocol/pubsub", "item", "id", fmt.Sprintf("i%d", i))
			it.AddChild("urn:attack", "x").SetText(big)
			return iqSet(ps)
		})
		if a == 0 && len(errs) > 0 {
			t.Fatalf("the first account got %d refusals within every bound: %s", len(errs), errs[0])
		}
		if first == nil && len(errs) > 0 {
			first = errs[0]
		}
		_ = c.Close()
	}
	if first == nil {
		t.Fatalf("%d accounts published %d KB each and none was refused past the pool", accounts, per*16)
	}
	wantStanzaError(t, first, "wait", "resource-constraint")
	wantGrowth(t, base, 3<<20)
	e.checkWitnesses()
	w.finish()
}

// TestHistoryTotalManyRooms: one user fills 8 rooms' histories with 16 KB
// messages (1.3 MB in all), each room within MaxHistory and MaxHistoryBytes;
// MaxHistoryTotalBytes (1 MiB) bounds them together: the heap stays
// within it, the messages are still broadcast, and a late room's history
// holds fewer than were sent. (mucattack muc-history-growth.)
func TestHistoryTotalManyRooms(t *testing.T) {
	e := newEnv(t, server.Config{AnyPassword: true, MUCLimits: muc.Limits{MaxHistoryTotalBytes: 1 << 20}})
	w := e.watch("watcher")
	base := heapBaseline()
	c := e.dial("historian", "h")
	big := strings.Repeat("z", 16<<10)
	const rooms, per = 8, 10 // the total holds about 63: the last room none
	for r := range rooms {
		room := fmt.Sprintf("hist%d@conference.localhost", r)
		flood(t, c, 1, func(int) *xmlnode.Element {
			return xmlnode.MustParse(`<presence to='` + room + `/h'><x xmlns='` + nsMUC + `'/></presence>`)
		})
		flood(t, c, 1, func(int) *xmlnode.Element {
			return xmlnode.MustParse(`<iq type='set' to='` + room + `'><query xmlns='` + nsMUCOwn + `'><x xmlns='jabber:x:data' type='submit'/></query></iq>`)
		})
		if errs := flood(t, c, per, func(int) *xmlnode.Element {
			m := xmlnode.New("jabber:client", "message", "type", "groupchat", "to", room)
			m.AddChild("jabber:client", "body").SetText(big)
			return m
		}); len(errs) > 0 {
			t.Fatalf("room %d: a groupchat message was refused: %s", r, errs[0])
		}
	}
	wantGrowth(t, base, 3<<20)
	late := e.dial("latecomer", "l")
	must(t, late.Send(xmlnode.MustParse(`<presence to='hist`+fmt.Sprint(rooms-1)+`@conference.localhost/late'><x xmlns='`+nsMUC+`'><history maxstanzas='100'/></x></presence>`)))
	history := 0
	for {
		st := recv(t, late)
		if st.Name.Local == "message" && st.Child("urn:xmpp:delay", "delay") != nil {
			history++
		}
		if st.Name.Local == "message" && st.Child("jabber:client", "subject") != nil {
			break // the subject ends the history (XEP-0045 section 7.2.15)
		}
	}
	if history >= per {
		t.Errorf("the last room's history holds %d messages: every room's history together was not bounded", history)
	}
	t.Logf("the last room kept %d of %d messages", history, per)
	_ = late.Close()
	_ = c.Close()
	e.checkWitnesses()
	w.finish()
}

// TestInFlightManyPartialStanzas: five sessions each send 48 KiB of a
// message and hold it open, one after the other; the server's budget of
// stanzas being read (MaxInFlightBytes 200 KiB) holds four of them, the
// fifth is ended with resource-constraint, the four finish their stanzas
// and are served, and the witnesses never notice. (mucattack
// partial-stanza-hold-text and -elems: 1,000 held stanzas took mucd to
// 447-556 MB.)
func TestInFlightManyPartialStanzas(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{AnyPassword: true, Limits: c2s.Limits{MaxInFlightBytes: 200 << 10}})
	w := e.watch("watcher")
	const n = 5
	part := "<message to='nobody@localhost' type='chat'><body>" + strings.Repeat("z", 48<<10)
	conns := make([]*client.Conn, n)
	for i := range conns {
		conns[i] = e.dial("mallory", fmt.Sprintf("hold%d", i))
	}
	for _, c := range conns {
		must(t, c.SendRaw([]byte(part)))
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		must(t, e.srv.WaitIdle(ctx)) // read before the next one sends
		cancel()
	}
	e.checkWitnesses() // served while the partial stanzas are held
	_, err := conns[n-1].Recv()
	var se *client.StreamError
	if !errors.As(err, &se) || se.Condition != "resource-constraint" {
		t.Fatalf("the session past the budget: %v, want a resource-constraint stream error", err)
	}
	for _, c := range conns[:n-1] {
		must(t, c.SendRaw([]byte("</body></message><iq type='get' id='after' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")))
		for {
			st := recv(t, c)
			if st.Attrib("id") == "after" {
				if st.Attrib("type") != "result" {
					t.Fatalf("%s: ping after its stanza: %s", c.JID(), st)
				}
				break
			}
		}
	}
	e.checkWitnesses()
	w.finish()
}
