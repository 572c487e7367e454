package muc

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkModerateFullArchive measures one moderation in a room whose
// archive is full (archiveLimit messages of about 300 bytes): the archive
// is rebuilt around the tombstone (moderatestore.go), under the service
// lock. Each iteration posts a message and retracts it by stanza-id.
//
//	go test ./muc -run '^$' -bench ModerateFullArchive -benchmem
func BenchmarkModerateFullArchive(b *testing.B) {
	h := newHarness(&testing.T{})
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	body := strings.Repeat("spam ", 50)
	post := func(i int) string {
		got := h.send(juliet, fmt.Sprintf(`<message type='groupchat' id='b%d' to='room@conference.localhost'><body>%s</body></message>`, i, body))
		return got[0].Child(nsStanzaID, "stanza-id").Attrib("id")
	}
	for i := 0; i < archiveLimit; i++ {
		post(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sid := post(archiveLimit + i)
		if got := h.send(romeo, v1Request(sid, "")); len(got) != 3 {
			b.Fatalf("moderation: %s", dump(got))
		}
	}
}

// BenchmarkModerateUnknownID measures a refused moderation (an id the
// room never gave) in the same full room: the lookup a hostile moderator
// can repeat, which parses nothing.
func BenchmarkModerateUnknownID(b *testing.B) {
	h := newHarness(&testing.T{})
	h.createRoom(romeo, "room", "Romeo", nil)
	h.join(juliet, "room", "Juliet")
	for i := 0; i < archiveLimit; i++ {
		h.send(juliet, fmt.Sprintf(`<message type='groupchat' id='b%d' to='room@conference.localhost'><body>hello</body></message>`, i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := h.send(romeo, v1Request("nope", "")); len(got) != 1 {
			b.Fatalf("moderation: %s", dump(got))
		}
	}
}
