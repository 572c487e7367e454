package pubsubsvc

import (
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/pubsub"
)

// Module mounts the service on its domain (a component of the registry).
type Module struct {
	// Domain is where the service is mounted; "pubsub.<server domain>"
	// when empty.
	Domain string
	// Admins create nodes and own every node.
	Admins []string
	// ExposePublisher: see Config.
	ExposePublisher bool
	Quotas          pubsub.Quotas
}

// Name implements module.Module.
func (Module) Name() string { return "pubsub" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	d := m.Domain
	if d == "" {
		d = "pubsub." + r.Domain()
	}
	r.Component(d, New(Config{Domain: d, Router: r.Router(), Admins: m.Admins, ExposePublisher: m.ExposePublisher, Quotas: m.Quotas}))
	return nil
}
