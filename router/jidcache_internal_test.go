package router

import (
	"fmt"
	"testing"

	"mellium.im/xmpp/jid"
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
	if _, ok := c.m["User@LOCALHOST/res"]; ok {
		t.Error("a string that is not in normal form was cached")
	}
	for i := range maxJIDCache + 10 {
		if _, err := c.parse(fmt.Sprintf("u@localhost/r%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) > maxJIDCache {
		t.Fatalf("cache grew to %d entries", len(c.m))
	}
}
