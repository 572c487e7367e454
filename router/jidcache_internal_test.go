package router

import (
	"fmt"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/jidcheck"
)

func TestJIDCache(t *testing.T) {
	var c jidCache
	for _, s := range []string{"user@localhost/res", "User@LOCALHOST/res", "@bad", "room@conference.localhost/nick", "user@localhost/res"} {
		want, wantErr := jid.Parse(s)
		got, err := c.parse(s)
		if (err != nil) != (wantErr != nil) || (err == nil && (!got.Equal(want) || got.String() != want.String())) {
			t.Errorf("parse(%q) = %q, %v; want %q, %v", s, got, err, want, wantErr)
		}
	}
	if _, ok := c.memo.Load("User@LOCALHOST/res"); ok {
		t.Error("a string that is not in normal form was cached")
	}
	for i := range maxJIDCache + 10 {
		if _, err := c.parse(fmt.Sprintf("u@localhost/r%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if c.memo.Len() > maxJIDCache {
		t.Fatalf("cache grew to %d entries", c.memo.Len())
	}
}

// TestClientJIDCache checks that a client's "to" parsed through the cache
// (parseClientJID) is what parseJID makes of it, the first time and once
// cached: the same JID, or an error for the same inputs, including those
// jid.Parse alone would accept (jidcheck's stricter checks) and those only
// the mapping to nothing saves.
func TestClientJIDCache(t *testing.T) {
	r := &Router{clientJIDs: jidCache{parseFn: jidcheck.Parse}}
	long := strings.Repeat("a", 1100) + "@localhost"
	for range 2 {
		for _, s := range []string{
			"room@conference.localhost", "Room@Conference.localhost/Nick", "room@conference.localhost/🤖\uFE0F",
			"@bad", "a@b..c", "a@.localhost", long, "localhost", "user@localhost/res",
		} {
			want, wantErr := parseJID(s)
			got, err := r.parseClientJID(s)
			if (err != nil) != (wantErr != nil) || (err == nil && (!got.Equal(want) || got.String() != want.String())) {
				t.Errorf("parseClientJID(%q) = %q, %v; parseJID gives %q, %v", s, got, err, want, wantErr)
			}
		}
	}
	if _, ok := r.clientJIDs.memo.Load("room@conference.localhost"); !ok {
		t.Error("a room's address was not cached")
	}
	if _, ok := r.clientJIDs.memo.Load("user@localhost/res"); ok {
		t.Error("a full JID was cached")
	}
	if _, ok := r.clientJIDs.memo.Load("a@b..c"); ok {
		t.Error("an address jidcheck refuses (and jid.Parse takes) was cached")
	}
}
