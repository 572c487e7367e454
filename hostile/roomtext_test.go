package hostile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/server"
)

// TestRoomNameBound: mallory creates public rooms and names each with
// 50 KB, which every disco#items of the service would repeat to whoever
// asks (50 such rooms made a 120-byte request answer 2.5 MB). Every form
// is refused modify/not-acceptable and changes nothing: the listing she
// then asks for holds the rooms under their addresses only, a few KB; the
// witnesses are served throughout and the heap comes back.
func TestRoomNameBound(t *testing.T) {
	e := newEnv(t, server.Config{})
	w := e.watch("eve")
	base := heapBaseline()
	mallory := e.dial("mallory", "laptop")
	name := strings.Repeat("n", 50<<10)
	const rooms = 20
	for i := range rooms {
		room := fmt.Sprintf("big%d@conference.localhost", i)
		join(t, mallory, room, "m")
		configure(t, mallory, room, map[string]string{"muc#roomconfig_publicroom": "1"})
		r := until(t, mallory, `<iq type='set' id='name' to='`+room+`'><query xmlns='`+nsMUCOwn+`'><x xmlns='jabber:x:data' type='submit'>`+
			`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>`+
			`<field var='muc#roomconfig_roomname'><value>`+name+`</value></field></x></query></iq>`, "name")
		wantStanzaError(t, r, "modify", "not-acceptable")
	}
	items := until(t, mallory, `<iq type='get' id='items' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`, "items")
	if got := len(items.Child("http://jabber.org/protocol/disco#items", "query").Elements()); got != rooms {
		t.Fatalf("disco#items lists %d rooms, want %d: %.300s", got, rooms, items)
	}
	if n := len(items.String()); n > rooms*200 {
		t.Errorf("disco#items answer of %d bytes for %d rooms: a refused name was kept", n, rooms)
	}
	peak := heapNow()
	_ = mallory.Close()
	e.checkWitnesses()
	w.finish()
	e.heapBack(base, peak)
}
