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

// Module mounts the service on its domain (a component of the registry).
type Module struct {
	// Domain is where the service is mounted; "pubsub.<server domain>"
	// when empty.
	Domain string
	// Admins create nodes and own every node.
	Admins []string
	// ExposePublisher: see Config.
	ExposePublisher bool
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
	}
	r.Component(d, New(Config{Domain: d, Router: r.Router(), Admins: m.Admins, ExposePublisher: m.ExposePublisher, Quotas: q}))
	return nil
}
