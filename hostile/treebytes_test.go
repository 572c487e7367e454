package hostile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/server"
)

// TestTreeBytes sends a stanza within the size limit and the element
// count whose tree would still be ten times its size: elements with 64
// short attributes each (48 bytes of tree for six on the wire), which no
// count bounds. Over c2s.Limits.MaxTreeBytes (three times the stanza size
// limit) it is a policy-violation; a smaller one of the same shape is
// served.
func TestTreeBytes(t *testing.T) {
	e := newEnv(t, server.Config{})
	w := e.watch("owner")
	base := heapBaseline()
	var el strings.Builder
	el.WriteString("<a")
	for i := range 64 {
		fmt.Fprintf(&el, " a%d=''", i)
	}
	el.WriteString("/>")
	stanza := func(n int) string {
		return `<message id='t' to='nobody@localhost'>` + strings.Repeat(el.String(), n) + `</message>`
	}
	r := dialRaw(t, e.srv)
	r.login("mallory")
	r.Send(stanza(100)) // 39 KB on the wire, about 330 KB of tree
	wantStanzaError(t, r.Next(), "cancel", "service-unavailable")
	r.Send(stanza(500)) // 195 KB on the wire, about 1.6 MB of tree
	r.wantStreamError("policy-violation")
	e.checkWitnesses()
	w.finish()
	e.heapBack(base, 0)
}
