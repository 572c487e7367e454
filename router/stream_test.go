package router_test

import (
	"testing"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/xmlnode"
)

// layer counts what goes through it to the Conn under it.
type layer struct {
	inner        module.Conn
	sent, closed int
}

func (l *layer) Send(st *xmlnode.Element)              { l.sent++; l.inner.Send(st) }
func (l *layer) SendTo(st *xmlnode.Element, to string) { l.sent++; l.inner.SendTo(st, to) }
func (l *layer) CloseWithError(c stream.Error, text string) {
	l.closed++
	l.inner.CloseWithError(c, text)
}

// TestStreamLayer: a module's layer on a session's Conn (module.Stream)
// sees every delivery, and the conflict of a replacement goes through the
// Conn the session has then, not the one it was bound with.
func TestStreamLayer(t *testing.T) {
	var got module.Stream
	grab := module.New("grab", func(r *module.Registrar) error {
		r.OnSessionBound(module.After, func(_ module.Context, s module.Session) {
			if got == nil {
				got = s.(module.Stream)
			}
		})
		return nil
	})
	s := moduletest.New(t, grab)
	alice := s.Login("alice@localhost/phone")
	bob := s.Login("bob@localhost/pc")
	l := &layer{}
	got.Do(func(module.Context) {
		l.inner = got.Conn()
		got.SetConn(l)
		if got.Conn() != module.Conn(l) {
			t.Error("SetConn did not take")
		}
	})
	bob.Send(`<message to='alice@localhost/phone' type='chat'><body>hi</body></message>`)
	alice.Expect(`<message to='alice@localhost/phone' from='bob@localhost/pc' type='chat'><body>hi</body></message>`)
	if l.sent != 1 {
		t.Fatalf("the layer saw %d stanzas, want 1", l.sent)
	}
	s.Login("alice@localhost/phone")
	if l.closed != 1 || alice.Closed() != "conflict" {
		t.Fatalf("replacement: layer closed %d times, session closed with %q", l.closed, alice.Closed())
	}
}
