package pubsubsvc

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/pubsub"
)

// DefaultQuotas bound the service when Module.Quotas is zero.
var DefaultQuotas = pubsub.Quotas{
	MaxNodes:         10000,
	MaxItemBytes:     256 << 10, // a stanza's limit
	MaxNodeBytes:     8 << 20,
	MaxServiceBytes:  512 << 20,
	MaxSubscriptions: 1000,
}

// DefaultLocalQuotas bound the service when Module.LocalCreate is set and
// Module.Quotas is zero: once anyone who can log in may create nodes, the
// service keeps no more than PEP's pool does for every account together.
var DefaultLocalQuotas = pubsub.Quotas{
	MaxNodes:         1000,
	MaxItemBytes:     256 << 10,
	MaxNodeBytes:     1 << 20,
	MaxServiceBytes:  32 << 20,
	MaxSubscriptions: 1000,
}

// Module mounts the service on its domain (a component of the registry).
type Module struct {
	// Domain is where the service is mounted; "pubsub.<server domain>"
	// when empty.
	Domain string
	// Admins create nodes and own every node.
	Admins []string
	// ExposePublisher: see Config.
	ExposePublisher bool
	// LocalCreate lets every account of the server's domain create nodes
	// (Config.LocalDomain); without it only Admins do.
	LocalCreate bool
	// Quotas bound what clients can make the service store;
	// DefaultQuotas when zero.
	Quotas pubsub.Quotas
}

// Name implements module.Module.
func (Module) Name() string { return "pubsub" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	d := m.Domain
	if d == "" {
		d = "pubsub." + r.Domain()
	}
	q := m.Quotas
	if q == (pubsub.Quotas{}) {
		q = DefaultQuotas
		if m.LocalCreate {
			q = DefaultLocalQuotas
		}
	}
	cfg := Config{Domain: d, Router: r.Router(), Admins: m.Admins, ExposePublisher: m.ExposePublisher, Quotas: q}
	if m.LocalCreate {
		cfg.LocalDomain = r.Domain()
	}
	r.Component(d, New(cfg))
	return nil
}
