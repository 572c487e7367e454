package hostile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// TestStateTotalAcrossNames: in any-password mode one attacker logs in
// under 10 names and fills each account's private XML, every account
// within its own AccountBytes; Quotas.TotalBytes bounds them all
// together: past it every store is refused resource-constraint (wait), as
// past AccountBytes, the heap grows by about the total and no more, what
// was stored is kept, bytes one account gives back are free for another at
// once, and a witness's round trips stay short throughout.
func TestStateTotalAcrossNames(t *testing.T) {
	const total = 1 << 20
	e := quotaEnv(t, quota.Limits{TotalBytes: total, AccountsPerIPPerMinute: -1})
	w := e.watch("watcher")
	base := heapBaseline()
	big := strings.Repeat("z", 64<<10)
	el := func(i int, text string) *xmlnode.Element {
		q := xmlnode.New("jabber:iq:private", "query")
		q.AddChild("x:flood", fmt.Sprintf("e%d", i)).SetText(text)
		return iqSet(q)
	}
	const names, perName = 10, 4 // 2.6 MB: 16 elements fit in total
	var conns []*client.Conn
	stored, refused := 0, 0
	for n := range names {
		c := e.dial(fmt.Sprintf("name%d", n), "hose")
		conns = append(conns, c)
		errs := flood(t, c, perName, func(i int) *xmlnode.Element { return el(i, big) })
		for _, st := range errs {
			wantStanzaError(t, st, "wait", "resource-constraint")
		}
		stored += perName - len(errs)
		refused += len(errs)
	}
	t.Logf("%d of %d elements of 64 KiB stored under %d names, %d refused", stored, names*perName, names, refused)
	if maxStored := total / (64 << 10); stored > maxStored || stored < maxStored-perName {
		t.Errorf("%d elements stored, want about %d (TotalBytes over every account)", stored, maxStored)
	}
	e.checkWitnesses()
	wantGrowth(t, base, 2*total)

	// The first name empties its elements: another name may store again
	// at once, and what the others stored is still there.
	for i := range perName {
		if errs := flood(t, conns[0], 1, func(int) *xmlnode.Element { return el(i, "") }); len(errs) != 0 {
			t.Fatalf("emptying an element refused: %s", errs[0])
		}
	}
	last := conns[names-1]
	if errs := flood(t, last, 1, func(int) *xmlnode.Element { return el(9, big) }); len(errs) != 0 {
		t.Fatalf("store after another account gave its bytes back refused: %s", errs[0])
	}
	must(t, conns[1].Send(xmlnode.New("jabber:client", "iq", "type", "get", "id", "g").
		Append(xmlnode.New("jabber:iq:private", "query").Append(xmlnode.New("x:flood", "e0")))))
	for {
		st := recv(t, conns[1])
		if st.Attrib("id") == "g" {
			if got := st.Child("jabber:iq:private", "query").ChildText("x:flood", "e0"); got != big {
				t.Fatalf("stored element lost (%d bytes back)", len(got))
			}
			break
		}
	}
	e.checkWitnesses()
	w.finish()
}
