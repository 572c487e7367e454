package bosh

import (
	"errors"
	"strings"
	"testing"
)

// TestParseBodyRaw: past the root's start tag the payload is read as raw
// tokens, so ParseBody itself checks what Decoder.Skip used to: tags match,
// the root is closed by </body>, nothing follows it, and a payload nested
// past maxPayloadDepth is refused before it is read to its end.
func TestParseBodyRaw(t *testing.T) {
	const open = `<body xmlns="http://jabber.org/protocol/httpbind" rid="1" sid="s">`
	deep := func(n int) string {
		return open + strings.Repeat("<a>", n) + strings.Repeat("</a>", n) + `</body>`
	}
	for _, tc := range []struct {
		name     string
		body     string
		payloads int // -1: refused
	}{
		{"two stanzas", open + `<message xmlns="jabber:client"><body>hi</body></message><presence xmlns="jabber:client"/></body>`, 2},
		{"prefixed payload", open + `<c:message xmlns:c="jabber:client"><c:body>hi</c:body></c:message></body>`, 1},
		{"at the depth bound", deep(maxPayloadDepth), 1},
		{"past the depth bound", deep(maxPayloadDepth + 1), -1},
		{"a hundred thousand deep", open + strings.Repeat("<a>", 100_000), -1},
		{"mismatched end tag", open + `<message><body>hi</message></body></body>`, -1},
		{"payload closed by another name", open + `<message>hi</iq></body>`, -1},
		{"root closed by another name", open + `<presence/></bodx>`, -1},
		{"element after the root", open + `</body><body/>`, -1},
		{"unclosed root", open + `<presence/>`, -1},
		{"doctype inside", open + `<!DOCTYPE x [<!ENTITY a "b">]></body>`, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ParseBody([]byte(tc.body))
			if tc.payloads < 0 {
				if !errors.Is(err, ErrBody) {
					t.Fatalf("got %v (%+v), want ErrBody", err, b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Payload) != tc.payloads {
				t.Fatalf("%d payloads %q, want %d", len(b.Payload), b.Payload, tc.payloads)
			}
		})
	}
}
