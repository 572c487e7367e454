package bookmarks

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

func pep(interested ...string) *pubsub.Service {
	return pubsub.NewService(pubsub.ServiceConfig{
		JID: "juliet@localhost", Defaults: pubsub.PEPDefaults(), AutocreateOnPublish: true,
		AccessModels: []string{pubsub.AccessOpen, pubsub.AccessPresence, pubsub.AccessWhitelist},
		Interested:   func(string) []string { return interested },
		Affiliation: func(b, _, _ string) pubsub.Affiliation {
			if b == "juliet@localhost" {
				return pubsub.Owner
			}
			return ""
		},
	})
}

func storage(confs string) *xmlnode.Element {
	return xmlnode.MustParse(`<storage xmlns="storage:bookmarks">` + confs + `</storage>`)
}

func TestSave(t *testing.T) {
	const me = "juliet@localhost/balcony"
	svc := pep(me, "romeo@localhost/garden")
	// The first legacy save creates the node, private to its owner.
	out, err := Save(svc, me, storage(`<conference jid="a@muc" name="A" autojoin="true"><nick>J</nick></conference><conference jid="b@muc"/>`))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Attrib("to") != me || out[1].Attrib("to") != me {
		t.Fatalf("two publishes, notified to the owner only: %v", out)
	}
	c, ok := svc.Config(NS)
	if !ok || c.AccessModel != pubsub.AccessWhitelist || c.MaxItems != pubsub.MaxItemsMax || c.SendLastPublishedItem != pubsub.SendNever {
		t.Fatalf("node config %+v", c)
	}
	got, _ := PrivateGet(svc, me)
	if got.String() != `<storage xmlns="storage:bookmarks"><conference jid="a@muc" name="A" autojoin="true"><nick>J</nick></conference><conference jid="b@muc"/></storage>` {
		t.Fatalf("private get: %s", got)
	}
	// Saving again: a unchanged (not republished), b renamed, c new, and
	// nothing else.
	out, err = Save(svc, me, storage(`<conference jid="a@muc" name="A" autojoin="true"><nick>J</nick></conference><conference jid="b@muc" name="B"/><conference jid="c@muc"/>`))
	if err != nil || len(out) != 2 {
		t.Fatalf("changed rooms only: %v %v", out, err)
	}
	// Dropping a and b: two retractions.
	out, err = Save(svc, me, storage(`<conference jid="c@muc"/>`))
	if err != nil || len(out) != 2 || !strings.Contains(out[0].String(), `<retract id="a@muc"/>`) {
		t.Fatalf("retractions: %v %v", out, err)
	}
	// Nothing: a purge.
	out, err = Save(svc, me, storage(``))
	if err != nil || len(out) != 1 || !strings.Contains(out[0].String(), `<purge node="urn:xmpp:bookmarks:1"/>`) {
		t.Fatalf("purge: %v %v", out, err)
	}
	if got, _ := PrivateGet(svc, me); got.String() != `<storage xmlns="storage:bookmarks"/>` {
		t.Fatalf("after purge: %s", got)
	}
	// Someone else cannot read them.
	if _, err := PrivateGet(svc, "romeo@localhost/garden"); err == nil {
		t.Fatal("a contact read the bookmarks")
	}
	ev := LegacyEvent(nil)
	if ev.String() != `<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="storage:bookmarks"><item id="current"><storage xmlns="storage:bookmarks"/></item></items></event>` {
		t.Fatalf("legacy event: %s", ev)
	}
}

// TestLegacyPEPWithoutNode: the legacy PEP node of an account that never
// had bookmarks 2 is item-not-found (Prosody trunk's answer), unlike the
// XEP-0049 get, which is an empty <storage/>; once the node exists, even
// empty, both are the legacy form.
func TestLegacyPEPWithoutNode(t *testing.T) {
	const me = "juliet@localhost/balcony"
	svc := pep(me)
	tests := []struct {
		name, save, want, wantErr string
	}{
		{name: "no node", wantErr: "item-not-found"},
		{name: "one room", save: `<conference jid="a@muc" name="A"/>`, want: `<storage xmlns="storage:bookmarks"><conference jid="a@muc" name="A"/></storage>`},
		{name: "purged", save: ``, want: `<storage xmlns="storage:bookmarks"/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "no node" {
				if _, err := Save(svc, me, storage(tt.save)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := LegacyPEP(svc, me)
			if tt.wantErr != "" {
				pe, ok := err.(*pubsub.Error)
				if !ok || pe.Condition != tt.wantErr || pe.Type != "cancel" || pe.PubsubCondition != "" {
					t.Fatalf("LegacyPEP = %v, %v; want a %s error", got, err, tt.wantErr)
				}
				if priv, err := PrivateGet(svc, me); err != nil || priv.String() != `<storage xmlns="storage:bookmarks"/>` {
					t.Fatalf("PrivateGet without a node = %v, %v; want an empty storage", priv, err)
				}
				return
			}
			if err != nil || got.String() != tt.want {
				t.Fatalf("LegacyPEP = %v, %v; want %s", got, err, tt.want)
			}
		})
	}
}
