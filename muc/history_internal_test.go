package muc

import (
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// TestStoredSize: a history message counts what it writes, as String
// would write it.
func TestStoredSize(t *testing.T) {
	for _, s := range []string{
		`<message from='r@c/n' type='groupchat' id='&quot;1'><body>a &amp; b</body><x xmlns='urn:x'/></message>`,
		`<message from='r@c/n' type='groupchat'/>`,
		`<message from='r@c/n' xml:lang='en'>text</message>`,
	} {
		c := parse(t, s).Sealed()
		if got, want := storedSize(c), len(c.String()); got != want {
			t.Errorf("storedSize(%s) = %d, want %d", c, got, want)
		}
	}
	if got, want := storedSize(xmlnode.New(nsClient, "message")), len(`<message xmlns="jabber:client"/>`); got != want {
		t.Errorf("storedSize of an empty message = %d, want %d", got, want)
	}
}
