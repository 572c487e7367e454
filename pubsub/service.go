package pubsub

import (
	"crypto/rand"
	"encoding/base64"
	"sync"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/xmlnode"
)

// Affiliation is an entity's standing on a node (XEP-0060 4.1).
type Affiliation string

// The affiliations, from most to least privileged.
const (
	Owner       Affiliation = "owner"
	Publisher   Affiliation = "publisher"
	PublishOnly Affiliation = "publish-only"
	Member      Affiliation = "member"
	None        Affiliation = "none"
	Outcast     Affiliation = "outcast"
)

// action is something an entity may or may not do; the capability table
// says which affiliation may do which.
type action uint32

const (
	actCreate action = 1 << iota
	actPublish
	actRetract
	actDelete
	actGetNodes
	actConfigure
	actGetConfiguration
	actSubscribe
	actUnsubscribe
	actGetSubscription
	actGetSubscriptions
	actGetItems
	actGetMetadata
	actSubscribeOther
	actUnsubscribeOther
	actGetSubscriptionOther
	actGetSubscriptionsOther
	actBeSubscribed
	actBeUnsubscribed
	actSetAffiliation
)

// capabilities is Prosody's util.pubsub capability table.
var capabilities = map[Affiliation]action{
	Outcast: actGetSubscription | actGetSubscriptions | actBeUnsubscribed,
	None: actGetNodes | actSubscribe | actUnsubscribe | actGetSubscription | actGetSubscriptions |
		actGetMetadata | actBeSubscribed | actBeUnsubscribed,
	Member: actGetNodes | actSubscribe | actUnsubscribe | actGetSubscription | actGetSubscriptions |
		actGetItems | actGetMetadata | actBeSubscribed | actBeUnsubscribed,
	PublishOnly: actPublish | actRetract | actGetSubscription | actGetSubscriptions | actBeUnsubscribed,
	Publisher: actPublish | actRetract | actGetNodes | actGetConfiguration | actSubscribe | actUnsubscribe |
		actGetSubscription | actGetSubscriptions | actGetItems | actGetMetadata | actBeSubscribed |
		actBeUnsubscribed,
	Owner: actCreate | actPublish | actRetract | actDelete | actGetNodes | actConfigure |
		actGetConfiguration | actSubscribe | actUnsubscribe | actGetSubscription | actGetSubscriptions |
		actGetItems | actGetMetadata | actSubscribeOther | actUnsubscribeOther | actGetSubscriptionOther |
		actGetSubscriptionsOther | actBeSubscribed | actBeUnsubscribed | actSetAffiliation,
}

// Roster answers the presence and roster access models for the owner of
// a PEP service (or any service whose nodes use them): the caller knows
// the owner's roster, the engine does not.
type Roster interface {
	// PresenceSubscribed reports whether the bare JID contact has a
	// subscription to the owner's presence ("from" or "both").
	PresenceSubscribed(contact string) bool
	// Groups returns the groups contact (a bare JID) is in on the
	// owner's roster, and whether contact is on it at all.
	Groups(contact string) (groups []string, ok bool)
}

// Quotas bound what clients can make a service store. Zero means no
// limit. Sizes are of an item's wire form.
type Quotas struct {
	MaxNodes         int // nodes on the service
	MaxItemBytes     int // one item
	MaxNodeBytes     int // the items of one node
	MaxServiceBytes  int // the items of every node
	MaxSubscriptions int // subscriptions of one bare JID on the service
	// Pool, when set, bounds the items of every service sharing it
	// together (PEP: all accounts' services).
	Pool *Pool
}

// ServiceConfig sets up a Service.
type ServiceConfig struct {
	// JID is the service's address: pubsub.<domain>, or the account's
	// bare JID for PEP. Notifications come from it.
	JID string
	// Defaults is the configuration of a new node; DefaultConfig() when
	// its AccessModel is empty.
	Defaults NodeConfig
	// MaxItemsLimit is the most items a node may keep, what "max" means
	// (256, Prosody's pubsub_max_items, when zero).
	MaxItemsLimit int
	// AccessModels are the access models nodes may use; open and
	// whitelist when empty (a pubsub service: presence and roster need
	// an owner with a roster).
	AccessModels []string
	// AutocreateOnPublish creates a missing node on publish, with the
	// publish-options as its configuration (PEP).
	AutocreateOnPublish bool
	// ExposePublisher puts publisher= on every item notified or
	// retrieved (Prosody's expose_publisher). Unset, a node shows it only
	// when its itemreply is "publisher".
	ExposePublisher bool
	// Affiliation is the service-wide affiliation of a bare JID for an
	// action on node, "" for none: Owner for admins on a component, for
	// the account itself on PEP. The action is "create" for a node
	// creation, so that a service can let admins create and nothing more.
	Affiliation func(bare, node, action string) Affiliation
	// Roster decides the presence and roster access models; without it
	// they admit nobody but affiliated entities.
	Roster Roster
	Quotas Quotas
	// Interested returns who wants notifications of node beyond its
	// subscribers: for PEP, the contacts whose entity capabilities say
	// +notify (XEP-0163 filtered notifications). Each is sent one only if
	// the node's access model lets it subscribe. It is called with the
	// service's lock held and must not call back into the Service.
	Interested func(node string) []string
	// InterestedLater, when set, may take the notifications of the
	// interested entities off the service: a node that notifies hands
	// it its name, the notification (frozen, without "to") and who
	// Interested named, and when it returns true the service decides
	// about none of them with its lock held; the caller addresses the
	// notification to them later with NotifyInterested, a part at a
	// time (PEP: a publish to a thousand contacts, decided in spans of
	// the router's lock of their own, issue 11). When it returns false
	// they are notified with the operation, as without it. Called with
	// the service's lock held, at most once per operation, whose
	// Result.Before then has only the subscribers' copies.
	InterestedLater func(node string, msg *xmlnode.Element, interested []string) bool
	// NewID makes item ids and notification ids; random when nil.
	NewID func() string
}

// Service is a set of pubsub nodes. It is safe for concurrent use; every
// method takes the service's lock, so the caller routes what a method
// returns after it returns.
type Service struct {
	cfg ServiceConfig

	mu    sync.Mutex
	nodes map[string]*node
	order []string // node names in creation order: disco#items
	bytes int      // items of every node, wire bytes
	// subsByBare counts the subscriptions of each bare JID.
	subsByBare map[string]int
}

// NewService returns an empty service.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Defaults.AccessModel == "" {
		cfg.Defaults = DefaultConfig()
	}
	if cfg.MaxItemsLimit == 0 {
		cfg.MaxItemsLimit = 256
	}
	if len(cfg.AccessModels) == 0 {
		cfg.AccessModels = []string{AccessOpen, AccessWhitelist}
	}
	if cfg.NewID == nil {
		cfg.NewID = randomID
	}
	if cfg.Affiliation == nil {
		cfg.Affiliation = func(string, string, string) Affiliation { return "" }
	}
	return &Service{cfg: cfg, nodes: make(map[string]*node), subsByBare: make(map[string]int)}
}

// JID returns the service's address.
func (s *Service) JID() string { return s.cfg.JID }

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// bare returns the bare form of a JID string, or the string itself when
// it does not parse (callers pass JIDs the router already checked).
func bare(s string) string {
	j, err := jidcheck.ParseFast(s)
	if err != nil {
		return s
	}
	return j.Bare().String()
}

// affiliation returns the affiliation that decides what actor may do on
// node n (nil: the service as a whole): the node's own affiliation of the
// actor, else the service-wide one, else what the node's access model
// gives, as util.pubsub's may() chooses.
func (s *Service) affiliation(n *node, nodeName, actor, act string) Affiliation {
	return s.affiliationOf(n, nodeName, actor, bare(actor), act)
}

// affiliationOf is affiliation for an actor whose bare JID b the caller
// has already (recipients).
func (s *Service) affiliationOf(n *node, nodeName, actor, b, act string) Affiliation {
	if n != nil {
		if a, ok := n.affs[actor]; ok {
			return a
		}
		if a, ok := n.affs[b]; ok {
			return a
		}
	}
	if a := s.cfg.Affiliation(b, nodeName, act); a != "" {
		return a
	}
	model := s.cfg.Defaults.AccessModel
	if n != nil {
		model = n.cfg.AccessModel
	}
	switch model {
	case AccessOpen:
		return Member
	case AccessWhitelist:
		return Outcast
	case AccessPresence:
		if s.cfg.Roster != nil && s.cfg.Roster.PresenceSubscribed(b) {
			return Member
		}
		return Outcast
	case AccessRoster:
		if s.cfg.Roster != nil && n != nil {
			if groups, ok := s.cfg.Roster.Groups(b); ok {
				for _, g := range groups {
					for _, allowed := range n.cfg.RosterGroupsAllowed {
						if g == allowed {
							return Member
						}
					}
				}
			}
		}
		return Outcast
	}
	return None
}

// may reports whether actor may do a on node n. An empty actor is the
// service itself, which may do anything.
func (s *Service) may(n *node, nodeName, actor string, a action) bool {
	if actor == "" {
		return true
	}
	name := ""
	if a == actCreate {
		name = "create"
	}
	return capabilities[s.affiliation(n, nodeName, actor, name)]&a != 0
}

// maxItems returns n's effective item limit.
func (s *Service) maxItems(c NodeConfig) int {
	if c.MaxItems == MaxItemsMax || c.MaxItems > s.cfg.MaxItemsLimit {
		return s.cfg.MaxItemsLimit
	}
	return c.MaxItems
}

// checkConfig is Prosody's check_node_config: max_items within the
// service's limit and an access model the service offers.
func (s *Service) checkConfig(c NodeConfig) error {
	if c.MaxItems != MaxItemsMax && (c.MaxItems < 1 || c.MaxItems > s.cfg.MaxItemsLimit) {
		return errNotAcceptable()
	}
	for _, m := range s.cfg.AccessModels {
		if m == c.AccessModel {
			return nil
		}
	}
	return errNotAcceptable()
}
