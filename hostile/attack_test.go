package hostile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/quota"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// This file holds the regressions of what cmd/mucattack found against
// mucd's defaults: stores bounded per account but not for the server, so
// that an attacker with many accounts (any-password mode makes them on
// login) fills memory while each account stays within its quota.

// TestStateTotalManyAccounts: eight accounts store 480 KB of private XML
// each, within every per-account bound; StateTotalBytes (2 MiB) bounds
// them together and the later ones get resource-constraint (wait).
// (mucattack private-xml-quota, roster-flood, blocklist-growth.)
func TestStateTotalManyAccounts(t *testing.T) {
	e := quotaEnv(t, quota.Limits{StateTotalBytes: 2 << 20})
	w := e.watch("watcher")
	base := heapBaseline()
	big := strings.Repeat("z", 16<<10)
	const accounts, per = 8, 30
	refused := 0
	var first *xmlnode.Element
	for a := range accounts {
		c := e.dial(fmt.Sprintf("hoarder%d", a), "h")
		errs := flood(t, c, per, func(i int) *xmlnode.Element {
			q := xmlnode.New("jabber:iq:private", "query")
			q.AddChild(fmt.Sprintf("x:attack:%d", i), "e").SetText(big)
			return iqSet(q)
		})
		if a == 0 && len(errs) > 0 {
			t.Fatalf("the first account got %d refusals within every bound", len(errs))
		}
		if first == nil && len(errs) > 0 {
			first = errs[0]
		}
		refused += len(errs)
		_ = c.Close()
	}
	if first == nil {
		t.Fatalf("%d accounts stored %d KB each and none was refused past StateTotalBytes", accounts, per*16)
	}
	wantStanzaError(t, first, "wait", "resource-constraint")
	t.Logf("%d of %d stores refused", refused, accounts*per)
	wantGrowth(t, base, 3<<20)
	e.checkWitnesses()
	w.finish()
}

// TestPEPPoolManyAccounts: eight accounts publish 480 KB of PEP items
// each, within their own service's MaxServiceBytes; the pool of every
// account's PEP service (PoolBytes 2 MiB) refuses the rest with
// resource-constraint (wait). (mucattack pep-publish-flood.)
func TestPEPPoolManyAccounts(t *testing.T) {
	e := newEnv(t, server.Config{AnyPassword: true, Without: []string{"pep"}, Modules: []module.Module{pep.Module{PoolBytes: 2 << 20}}})
	w := e.watch("watcher")
	base := heapBaseline()
	big := strings.Repeat("z", 16<<10)
	const accounts, per = 8, 30
	var first *xmlnode.Element
	for a := range accounts {
		c := e.dial(fmt.Sprintf("publisher%d", a), "p")
		errs := flood(t, c, per, func(i int) *xmlnode.Element {
			ps := xmlnode.New("http://jabber.org/protocol/pubsub", "pubsub")
			it := ps.AddChild("http://jabber.org/protocol/pubsub", "publish", "node", fmt.Sprintf("urn:attack:%d", i)).
				AddChild("http://jabber.org/protocol/pubsub", "item", "id", fmt.Sprintf("i%d", i))
			it.AddChild("urn:attack", "x").SetText(big)
			return iqSet(ps)
		})
		if a == 0 && len(errs) > 0 {
			t.Fatalf("the first account got %d refusals within every bound: %s", len(errs), errs[0])
		}
		if first == nil && len(errs) > 0 {
			first = errs[0]
		}
		_ = c.Close()
	}
	if first == nil {
		t.Fatalf("%d accounts published %d KB each and none was refused past the pool", accounts, per*16)
	}
	wantStanzaError(t, first, "wait", "resource-constraint")
	wantGrowth(t, base, 3<<20)
	e.checkWitnesses()
	w.finish()
}
