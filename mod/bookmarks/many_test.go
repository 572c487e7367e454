package bookmarks

import (
	"strconv"
	"strings"
	"testing"
)

// TestSaveMoreRoomsThanTheNodeKeeps: a legacy save naming more rooms than
// the node keeps (the service's item limit, 256 by default) publishes only
// the last ones, which is what the node would have held after publishing
// them all, without a publish (a pass over the node, under the server's
// lock) per room dropped at once (attack bookmarks-legacy-flood: saves of
// 1,500 rooms held the witness up to 1.8 s). A room listed twice keeps its
// last place and entry.
func TestSaveMoreRoomsThanTheNodeKeeps(t *testing.T) {
	const me = "juliet@localhost/balcony"
	svc := pep(me)
	limit := svc.ItemsLimit()
	var b strings.Builder
	b.WriteString(`<conference jid="dup@muc" name="first"/>`)
	for i := range limit + 100 {
		b.WriteString(`<conference jid="r` + strconv.Itoa(i) + `@muc"/>`)
	}
	b.WriteString(`<conference jid="dup@muc" name="last"/>`)
	out, err := Save(svc, me, storage(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != limit {
		t.Errorf("%d notifications, want one per kept room (%d)", len(out), limit)
	}
	items, err := Items(svc, me)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != limit {
		t.Fatalf("node holds %d rooms, want %d", len(items), limit)
	}
	if first, last := items[0].Attrib("id"), items[len(items)-1].Attrib("id"); first != "r101@muc" || last != "dup@muc" {
		t.Errorf("node holds %s .. %s, want r101@muc .. dup@muc", first, last)
	}
	if c := items[len(items)-1].Child(NS, "conference"); c == nil || c.Attrib("name") != "last" {
		t.Errorf("dup@muc kept %v, want its last entry", items[len(items)-1])
	}
}
