package hostile_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// The stores below bound what they keep in wire bytes. A stanza of tiny
// elements (<a/>, four bytes on the wire) costs about 24 bytes of heap
// per wire byte as an element tree (xmlnode's TestTreeMemory), so a store
// that kept trees would hold that many times its quota: with mucd's
// defaults, 770 MB for the 32 MiB PEP pool and 380 MB for the 16 MiB of
// MUC history. These tests fill a small quota with such stanzas and hold
// the heap's growth to a small multiple of the quota.

// tinyElements is n empty elements: the most tree per wire byte that the
// c2s element count (5,000 per stanza) allows.
func tinyElements(n int) string { return strings.Repeat("<a/>", n) }

// storedTreeBound is the growth a full store of quota wire bytes may cause
// (on top of storedTreeSlack): three times its quota, the bound issue 11
// sets for any tree against its wire size.
func storedTreeBound(quota int) int { return 3 * quota }

// storedTreeSlack is what these tests allow above storedTreeBound: the
// growth besides the stored items (the sessions' buffers, the rooms and
// nodes) measured 0.1 to 0.2 MB. heapSlack (8 MiB), which the attacks
// with other heap checks allow, would hide the trees of a store as small
// as these (512 KiB: 12 MiB of trees, 3.5 MiB allowed here); the quotas
// are small so that filling them costs little parsing.
const storedTreeSlack = 2 << 20

// wantStoredGrowth fails unless the live heap has grown from base by at
// most storedTreeBound(quota) and storedTreeSlack, and returns the heap.
func wantStoredGrowth(t *testing.T, base uint64, quota int) uint64 {
	t.Helper()
	now := heapBaseline()
	if bound := uint64(storedTreeBound(quota) + storedTreeSlack); now > base+bound {
		t.Errorf("heap grew %.1f MB, a store of %.1f MB may grow it by %.1f MB", mb(now-base), mb(uint64(quota)), mb(bound))
	}
	return now
}

// TestPEPPoolTinyElements fills every account's PEP pool (here 512 KiB)
// with items of 4,990 empty elements each, one item per node: the pool
// refuses what does not fit (wait/resource-constraint), and the heap
// grows by at most three times the pool (and storedTreeSlack), not the 24
// times the items' trees would take.
func TestPEPPoolTinyElements(t *testing.T) {
	const pool = 512 << 10
	q := pep.DefaultQuotas
	q.Pool = pubsub.NewPool(pool)
	e := newEnv(t, server.Config{Without: []string{"pep"}, Modules: []module.Module{pep.Module{Quotas: q}}})
	w := e.watch("owner")
	base := heapBaseline()
	payload := `<x xmlns='urn:example:flood'>` + tinyElements(4990) + `</x>`
	// Parsed once and shared by every item's stanza (client.Conn.Send
	// only serialises what it is given): parsing it for each of them was
	// most of the test's own CPU.
	x, err := xmlnode.Parse(payload)
	must(t, err)
	publish := func(i int) *xmlnode.Element {
		return xmlnode.New("jabber:client", "iq", "type", "set").Append(
			xmlnode.New(pubsub.NS, "pubsub").Append(
				xmlnode.New(pubsub.NS, "publish", "node", fmt.Sprintf("flood%d", i)).Append(
					xmlnode.New(pubsub.NS, "item", "id", "it").Append(x))))
	}
	const n = 30 // 30 items of 20 KB: 600 KB, more than the pool
	var refused []*xmlnode.Element
	for _, user := range []string{"mallory", "eve"} { // the pool is every account's: two of them share it
		c := e.dial(user, "hose")
		refused = append(refused, flood(t, c, n/2, publish)...)
	}
	wantRefusals(t, refused, n, "wait", "resource-constraint")
	used := q.Pool.Used()
	grown := wantStoredGrowth(t, base, int(used)) - base
	t.Logf("PEP pool: %d items of %d wire bytes published, %d refused, %.2f MB stored; heap grew %.1f MB: %.1f heap bytes per stored wire byte",
		n, len(payload), len(refused), mb(uint64(used)), mb(grown), float64(grown)/float64(used))
	if used < pool*3/4 {
		t.Errorf("pool holds %d bytes, want it nearly full (%d)", used, pool)
	}
	// What was stored is served whole.
	eve := e.dial("eve", "check")
	r := until(t, eve, `<iq type='get' id='get'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='flood0'/></pubsub></iq>`, "get")
	if got := len(r.Child(pubsub.NS, "pubsub").Child(pubsub.NS, "items").Child(pubsub.NS, "item").Child("urn:example:flood", "x").Elements()); got != 4990 {
		t.Errorf("stored item came back with %d elements, want 4990: %.200s", got, r)
	}
	e.checkWitnesses()
	w.finish()
}

// TestMUCHistoryTinyElements fills every room's history together (here
// 512 KiB, Limits.MaxHistoryTotalBytes) with groupchat messages of a body
// and 4,990 empty elements, in six rooms of 5 messages (600 KB): the
// messages past the bound are broadcast but kept in no history, and the
// heap grows by at most three times the bound (and storedTreeSlack).
func TestMUCHistoryTinyElements(t *testing.T) {
	const total = 512 << 10
	e := newEnv(t, server.Config{MUCLimits: muc.Limits{MaxHistoryTotalBytes: total}})
	w := e.watch("owner")
	// mallory is a raw connection: the room's echoes of her flood are
	// looked for in the bytes she is sent, not parsed into trees (half
	// of the test's CPU time went to her client parsing them).
	mallory := dialRaw(t, e.srv)
	malloryJID := mallory.login("mallory")
	_ = mallory.Conn.SetDeadline(time.Now().Add(testTimeout))
	const rooms, perRoom = 6, 5
	roomJID := func(r int) string { return fmt.Sprintf("flood%d@conference.localhost", r) }
	for r := range rooms {
		mallory.Send(`<presence to='` + roomJID(r) + `/m'><x xmlns='` + nsMUC + `'/></presence>`)
		rawJoined(t, mallory, roomJID(r)+"/m")
		mallory.Send(`<iq type='set' id='cfg' to='` + roomJID(r) + `'><query xmlns='` + nsMUCOwn + `'><x xmlns='jabber:x:data' type='submit'>` +
			`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
			`<field var='muc#roomconfig_enablearchiving'><value>0</value></field></x></query></iq>`)
		for {
			if st := mallory.Next(); st.Attrib("id") == "cfg" {
				if st.Attrib("type") != "result" {
					t.Fatalf("configure %s: %s", roomJID(r), st)
				}
				break
			}
		}
	}
	// From here on mallory's stream carries the rooms' echoes (and any
	// status messages), read as bytes by echoes.
	echoes := &byteScanner{r: mallory.Conn}
	base := heapBaseline()
	sent := 0
	for r := range rooms {
		for i := range perRoom {
			id := fmt.Sprintf("g%d-%d", r, i)
			msg := `<message type='groupchat' id='` + id + `' to='` + roomJID(r) + `'><body>x</body>` + tinyElements(4990) + `</message>`
			sent += len(msg)
			mallory.Send(msg)
			// The room's echo, to mallory, before the next one is sent.
			tag, err := echoes.tagWith(`id="` + id + `"`)
			if err != nil {
				t.Fatalf("echo of %s: %v", id, err)
			}
			for _, a := range []string{`<message `, ` from="` + roomJID(r) + `/m"`, ` to="` + malloryJID + `"`, ` type="groupchat"`} {
				if !strings.Contains(tag, a) {
					t.Fatalf("echo of %s: %s has no %s", id, tag, a)
				}
			}
		}
	}
	grown := wantStoredGrowth(t, base, total) - base
	t.Logf("MUC history: %d messages, %.2f MB sent, history bound %.2f MB; heap grew %.1f MB: %.1f heap bytes per stored wire byte",
		rooms*perRoom, mb(uint64(sent)), mb(total), mb(grown), float64(grown)/float64(total))
	if _, err := echoes.tagWith("</message>"); err != nil {
		t.Fatalf("the last echo's end: %v", err)
	}
	// The first room's history is there, whole, for a user who joins;
	// the subject comes after it.
	eve := e.dial("eve", "check")
	must(t, eve.SendRaw([]byte(`<presence to='flood0@conference.localhost/eve'><x xmlns='`+nsMUC+`'/></presence>`)))
	history := 0
	for {
		st := recv(t, eve)
		if st.Name.Local != "message" {
			continue
		}
		if st.Child("jabber:client", "subject") != nil {
			break
		}
		history++
		if st.Child("urn:xmpp:delay", "delay") == nil || st.ChildText("jabber:client", "body") != "x" || len(st.ChildrenNamed("", "a")) != 4990 {
			t.Fatalf("history message %d is not the one sent: %.300s", history, st)
		}
	}
	if history != perRoom {
		t.Errorf("joining user got %d history messages, want %d", history, perRoom)
	}
	e.checkWitnesses()
	w.finish()
}

// rawJoined reads r's stanzas until the self-presence (status 110) of
// occupant, failing on an error presence from it.
func rawJoined(t *testing.T, r *raw, occupant string) {
	t.Helper()
	for {
		st := r.Next()
		if st.Name.Local != "presence" || st.Attrib("from") != occupant {
			continue
		}
		if st.Attrib("type") == "error" {
			t.Fatalf("join %s: %s", occupant, st)
		}
		for _, s := range st.Child(nsMUCUser, "x").ChildrenNamed(nsMUCUser, "status") {
			if s.Attrib("code") == "110" {
				return
			}
		}
	}
}

// byteScanner looks for exact byte strings in what r delivers, without
// parsing it: for floods whose answers are too large to parse cheaply.
type byteScanner struct {
	r   io.Reader
	buf []byte // read but not yet skipped
}

// scanBack is how much of what was read tagWith keeps while it looks for
// its string: a start tag's worth and more.
const scanBack = 4096

// tagWith reads until s has been seen with the end of its tag ('>') after
// it, and returns that tag: from the last '<' before s to the '>' (s
// itself when it is a whole tag), dropping everything up to it.
func (b *byteScanner) tagWith(s string) (string, error) {
	chunk := make([]byte, 32<<10)
	for {
		if i := bytes.Index(b.buf, []byte(s)); i >= 0 {
			if j := bytes.IndexByte(b.buf[i+len(s)-1:], '>'); j >= 0 {
				end := i + len(s) - 1 + j + 1
				start := bytes.LastIndexByte(b.buf[:i+1], '<')
				tag := string(b.buf[max(start, 0):end])
				b.buf = append(b.buf[:0], b.buf[end:]...)
				return tag, nil
			}
		} else if len(b.buf) > scanBack {
			b.buf = append(b.buf[:0], b.buf[len(b.buf)-scanBack:]...)
		}
		n, err := b.r.Read(chunk)
		b.buf = append(b.buf, chunk[:n]...)
		if err != nil && n == 0 {
			return "", fmt.Errorf("%q not seen: %w", s, err)
		}
	}
}
