// Package pubsubsvc is the XEP-0060 publish-subscribe service mounted on
// its own domain (pubsub.<domain>), as Prosody's mod_pubsub component: the
// node engine of package pubsub behind the component seam, with disco on
// the service and on its nodes.
//
// It is configured as Prosody's test configuration has it (see
// shared/corpus/prosody-trunk/prosody.cfg.lua): only the server's admins
// create nodes, and with ExposePublisher every item carries its
// publisher's bare JID.
package pubsubsvc

import (
	"strings"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces answered besides pubsub's own.
const (
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsDiscoItems = "http://jabber.org/protocol/disco#items"
)

// Config sets up a Service.
type Config struct {
	// Domain is the service's domain, e.g. pubsub.localhost.
	Domain string
	// Router delivers replies and notifications.
	Router component.Router
	// Admins are bare JIDs that create nodes and own every node, as
	// Prosody's admins do on its pubsub component.
	Admins []string
	// LocalDomain, when set, lets every account of that domain create
	// nodes (and own the nodes it creates), as ejabberd's default
	// access_createnode (local) does: clients' own test suites (aioxmpp's
	// e2e tests) create their nodes on the service. Empty, only Admins
	// create, as in Prosody's test configuration.
	LocalDomain string
	// ExposePublisher puts publisher= on every item (Prosody's
	// expose_publisher).
	ExposePublisher bool
	// Name is the service's disco identity name.
	Name string
	// Quotas bound what clients can make the service store.
	Quotas pubsub.Quotas
	// NewID makes ids (items, notifications, instant nodes); random when
	// nil.
	NewID func() string
}

// Service is the pubsub component. It implements component.Handler.
type Service struct {
	cfg    Config
	admins map[string]bool
	engine *pubsub.Service
}

// New returns the service for cfg.
func New(cfg Config) *Service {
	if cfg.Name == "" {
		cfg.Name = "Prosody PubSub Service"
	}
	s := &Service{cfg: cfg, admins: make(map[string]bool)}
	for _, a := range cfg.Admins {
		if j, err := jidcheck.ParseFast(a); err == nil {
			s.admins[j.Bare().String()] = true
		}
	}
	domain, local := strings.ToLower(cfg.Domain), strings.ToLower(cfg.LocalDomain)
	s.engine = pubsub.NewService(pubsub.ServiceConfig{
		JID:             cfg.Domain,
		ExposePublisher: cfg.ExposePublisher,
		Quotas:          cfg.Quotas,
		NewID:           cfg.NewID,
		Affiliation: func(b, _, action string) pubsub.Affiliation {
			if s.admins[b] || b == domain || action == "create" && local != "" && isLocal(b, local) {
				return pubsub.Owner
			}
			return ""
		},
	})
	return s
}

// Engine returns the node engine, for modules and tests that act on the
// service's nodes directly.
func (s *Service) Engine() *pubsub.Service { return s.engine }

// HandleStanza implements component.Handler.
func (s *Service) HandleStanza(st *xmlnode.Element) {
	if st.Name.Local != "iq" {
		return // messages and presence to the service mean nothing to it
	}
	typ := st.Attrib("type")
	if typ != "get" && typ != "set" {
		return
	}
	if to, err := jidcheck.ParseFast(st.Attrib("to")); err != nil || to.Localpart() != "" || to.Resourcepart() != "" {
		s.route(stanzaerr.Reply(st, "cancel", "service-unavailable", "", ""))
		return
	}
	q := firstElement(st)
	switch {
	case q == nil:
		s.route(stanzaerr.Reply(st, "modify", "bad-request", "", ""))
	case q.Name.Local == "pubsub" && (q.Name.Space == pubsub.NS || q.Name.Space == pubsub.NSOwner):
		for _, out := range s.engine.HandleIQ(st) {
			s.route(out)
		}
	case typ == "get" && q.Name.Local == "query" && q.Name.Space == nsDiscoInfo:
		s.discoInfo(st, q)
	case typ == "get" && q.Name.Local == "query" && q.Name.Space == nsDiscoItems:
		s.discoItems(st, q)
	default:
		s.route(stanzaerr.Reply(st, "cancel", "service-unavailable", "", ""))
	}
}

// isLocal reports whether the bare JID b is an account of domain (its
// domain already lower-cased by the router's checks).
func isLocal(b, domain string) bool {
	at := strings.IndexByte(b, '@')
	return at > 0 && b[at+1:] == domain
}

func (s *Service) route(st *xmlnode.Element) { s.cfg.Router.Route(st) }

func firstElement(e *xmlnode.Element) *xmlnode.Element {
	for _, c := range e.Elements() {
		return c
	}
	return nil
}

func (s *Service) discoInfo(st, q *xmlnode.Element) {
	res := xmlnode.New(nsDiscoInfo, "query")
	if node := q.Attrib("node"); node != "" {
		kids, err := s.engine.DiscoInfoNode(st.Attrib("from"), node)
		if err != nil {
			s.route(pubsub.ErrorReply(st, err))
			return
		}
		res.SetAttr("node", node)
		for _, k := range kids {
			res.Append(k)
		}
		s.route(pubsub.Reply(st, res))
		return
	}
	res.AddChild(nsDiscoInfo, "identity", "category", "pubsub", "type", "service", "name", s.cfg.Name)
	res.AddChild(nsDiscoInfo, "feature", "var", nsDiscoInfo)
	res.AddChild(nsDiscoInfo, "feature", "var", nsDiscoItems)
	for _, f := range s.engine.Features() {
		res.AddChild(nsDiscoInfo, "feature", "var", f)
	}
	s.route(pubsub.Reply(st, res))
}

func (s *Service) discoItems(st, q *xmlnode.Element) {
	res := xmlnode.New(nsDiscoItems, "query")
	from := st.Attrib("from")
	if node := q.Attrib("node"); node != "" {
		kids, err := s.engine.DiscoItemsNode(from, node)
		if err != nil {
			s.route(pubsub.ErrorReply(st, err))
			return
		}
		res.SetAttr("node", node)
		for _, k := range kids {
			res.Append(k)
		}
		s.route(pubsub.Reply(st, res))
		return
	}
	for _, it := range s.engine.DiscoItems(from) {
		res.Append(it)
	}
	s.route(pubsub.Reply(st, res))
}
