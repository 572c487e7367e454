package bookmarks

import (
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

func TestRoundTrip(t *testing.T) {
	storage := xmlnode.MustParse(`<storage xmlns="storage:bookmarks">` +
		`<conference jid="play@conference.lit" name="The Play" autojoin="true"><nick>JC</nick><password>pw</password></conference>` +
		`<conference jid="orchard@conference.lit"/>` +
		`<conference name="no jid"/>` +
		`<url name="site" url="https://lit"/>` +
		`<conference jid="play@conference.lit" name="The Play, again"/>` +
		`</storage>`)
	entries := FromLegacy(storage)
	if len(entries) != 2 {
		t.Fatalf("entries: %d", len(entries))
	}
	if got := entries[1].Item.String(); got != `<item xmlns="http://jabber.org/protocol/pubsub" id="play@conference.lit">`+
		`<conference xmlns="urn:xmpp:bookmarks:1" name="The Play, again"/></item>` {
		t.Errorf("last entry of a room wins: %s", got)
	}
	first := FromLegacy(xmlnode.MustParse(`<storage xmlns="storage:bookmarks"><conference jid="play@conference.lit" name="The Play" autojoin="true"><nick>JC</nick><password>pw</password></conference></storage>`))
	want := `<item xmlns="http://jabber.org/protocol/pubsub" id="play@conference.lit"><conference xmlns="urn:xmpp:bookmarks:1" name="The Play" autojoin="true">` +
		`<nick>JC</nick><password>pw</password></conference></item>`
	if got := first[0].Item.String(); got != want {
		t.Errorf("item:\n%s\nwant\n%s", got, want)
	}
	back := Legacy([]*xmlnode.Element{first[0].Item, entries[0].Item})
	if got := back.String(); got != `<storage xmlns="storage:bookmarks"><conference jid="play@conference.lit" name="The Play" autojoin="true">`+
		`<nick>JC</nick><password>pw</password></conference><conference jid="orchard@conference.lit"/></storage>` {
		t.Errorf("legacy: %s", got)
	}
	if !Same(first[0].Item, first[0].Item.Copy()) || Same(first[0].Item, entries[1].Item) || Same(nil, first[0].Item) {
		t.Error("Same")
	}
}
