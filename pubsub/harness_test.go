package pubsub

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// counter returns an id maker yielding id1, id2, ... so that replies and
// notifications are predictable.
func counter() func() string {
	n := 0
	return func() string { n++; return "id" + strconv.Itoa(n) }
}

// fakeRoster is a Roster from a table: contact -> groups (present means
// subscribed to presence when sub is set).
type fakeRoster struct {
	sub    map[string]bool
	groups map[string][]string
}

func (r fakeRoster) PresenceSubscribed(c string) bool { return r.sub[c] }
func (r fakeRoster) Groups(c string) ([]string, bool) {
	g, ok := r.groups[c]
	return g, ok
}

// component returns a service shaped like pubsub.localhost in Prosody's
// test configuration: admin@localhost creates nodes, publishers exposed.
func component(q Quotas) *Service {
	return NewService(ServiceConfig{
		JID:             "pubsub.localhost",
		ExposePublisher: true,
		NewID:           counter(),
		Quotas:          q,
		Affiliation: func(b, _, act string) Affiliation {
			if b == "admin@localhost" {
				return Owner
			}
			return ""
		},
	})
}

// pep returns the PEP service of romeo@localhost with roster r.
func pep(r Roster, interested func(string) []string) *Service {
	return NewService(ServiceConfig{
		JID:                 "romeo@localhost",
		Defaults:            PEPDefaults(),
		AccessModels:        []string{AccessOpen, AccessPresence, AccessRoster, AccessWhitelist},
		AutocreateOnPublish: true,
		NewID:               counter(),
		Roster:              r,
		Interested:          interested,
		Affiliation: func(b, _, _ string) Affiliation {
			if b == "romeo@localhost" {
				return Owner
			}
			return ""
		},
	})
}

// send hands the service an iq written in a test and returns what it
// produced, serialised.
func send(t *testing.T, s *Service, from, iq string) []string {
	t.Helper()
	el, err := xmlnode.Parse(iq)
	if err != nil {
		t.Fatalf("bad test iq: %v", err)
	}
	el.TrimSpace()
	el.SetAttr("from", from)
	if el.Attrib("to") == "" {
		el.SetAttr("to", s.JID())
	}
	var out []string
	for _, o := range s.HandleIQ(el) {
		out = append(out, o.String())
	}
	return out
}

// mustOK fails unless the last stanza... the reply among out is a result.
func mustOK(t *testing.T, out []string) []string {
	t.Helper()
	for _, o := range out {
		if strings.HasPrefix(o, "<iq") && strings.Contains(o, `type="error"`) {
			t.Fatalf("unexpected error: %s", o)
		}
	}
	return out
}

const (
	psNS    = `xmlns="http://jabber.org/protocol/pubsub"`
	ownerNS = `xmlns="http://jabber.org/protocol/pubsub#owner"`
)

func publishIQ(node, id, payload string) string {
	return `<iq xmlns="jabber:client" type="set" id="p"><pubsub ` + psNS + `><publish node="` + node +
		`"><item id="` + id + `">` + payload + `</item></publish></pubsub></iq>`
}

func createIQ(node string) string {
	return `<iq xmlns="jabber:client" type="set" id="c"><pubsub ` + psNS + `><create node="` + node + `"/></pubsub></iq>`
}

func subscribeIQ(node, jid string) string {
	return `<iq xmlns="jabber:client" type="set" id="s"><pubsub ` + psNS + `><subscribe node="` + node +
		`" jid="` + jid + `"/></pubsub></iq>`
}

func itemsIQ(node, attrs, inner string) string {
	return `<iq xmlns="jabber:client" type="get" id="i"><pubsub ` + psNS + `><items node="` + node + `"` + attrs +
		`>` + inner + `</items></pubsub></iq>`
}
