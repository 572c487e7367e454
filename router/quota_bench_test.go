package router_test

import (
	"strconv"
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/moduletest"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/xmlnode"
)

// BenchmarkBindAtMaxResources is the resource quota's worst case under the
// router's lock: with Quotas.Resources-1 available resources of one
// account, one more binds and sends initial presence (broadcast to every
// other resource, which each answer with theirs), and a message to the
// bare JID reaches them all; the refused bind past the quota is measured
// by TestResourcesQuota.
func BenchmarkBindAtMaxResources(b *testing.B) {
	s := moduletest.New(b, module.New("none", func(*module.Registrar) error { return nil }))
	for i := range quota.DefaultResources - 1 {
		c := s.Login("eve@localhost/r" + strconv.Itoa(i))
		c.Send(`<presence/>`)
	}
	pres, _ := xmlnode.Parse(`<presence xmlns="jabber:client"/>`)
	msg, _ := xmlnode.Parse(`<message xmlns="jabber:client" type="chat" to="eve@localhost"><body>x</body></message>`)
	w := s.Login("w@localhost/w")
	b.Run("bind-and-presence", func(b *testing.B) {
		for b.Loop() {
			c := s.Login("eve@localhost/last")
			c.SendElement(pres.Copy())
			b.StopTimer()
			c.Close()
			b.StartTimer()
		}
	})
	b.Run("message-to-bare", func(b *testing.B) {
		for b.Loop() {
			w.SendElement(msg.Copy())
		}
	})
}
