// Package muc is the Multi-User Chat service of XEP-0045, mounted by the
// server at conference.<domain> through the component seam.
package muc

import (
	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/xmlnode"
)

// Config sets up a Service.
type Config struct {
	// Domain is the service's own domain, e.g. conference.localhost.
	Domain string
	// Router delivers the service's outgoing stanzas.
	Router component.Router
	// Admins are bare JIDs with service-wide owner rights (server admins).
	Admins []string
}

// Service is the MUC service: it owns every room of its domain.
type Service struct {
	cfg Config
}

// New returns a Service with no rooms.
func New(cfg Config) *Service { return &Service{cfg: cfg} }

// HandleStanza implements component.Handler. (Stub: filled in by the MUC issue.)
func (s *Service) HandleStanza(st *xmlnode.Element) {}
