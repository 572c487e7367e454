package match

import "testing"

// BenchmarkMatchesCaptures is the runner's question for every queued
// stanza a receive step looks at: a MUC self-presence against the loose
// expectation scripts write for it.
func BenchmarkMatchesCaptures(b *testing.B) {
	exp := parse(b, `<presence from="room@conference.localhost/Romeo"><x xmlns="http://jabber.org/protocol/muc#user"><status code="201"/><item affiliation="owner" role="moderator" jid="romeo@localhost/r"/><status code="110"/></x></presence>`)
	got := parse(b, `<presence to="romeo@localhost/r" from="room@conference.localhost/Romeo"><x xmlns="vcard-temp:x:update"><photo/></x><occupant-id xmlns="urn:xmpp:occupant-id:0" id="abc"/><x xmlns="http://jabber.org/protocol/muc#user"><status code="201"/><item affiliation="owner" role="moderator" jid="romeo@localhost/r"/><status code="110"/></x></presence>`)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := MatchesCaptures(exp, got, nil); !ok {
			b.Fatal("no match")
		}
	}
}
