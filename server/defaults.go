package server

import (
	"fmt"
	"slices"

	"github.com/muctest/muctest/mod/adhoc"
	"github.com/muctest/muctest/mod/blocking"
	"github.com/muctest/muctest/mod/carbons"
	"github.com/muctest/muctest/mod/csi"
	"github.com/muctest/muctest/mod/disco"
	"github.com/muctest/muctest/mod/last"
	"github.com/muctest/muctest/mod/mam"
	"github.com/muctest/muctest/mod/offline"
	"github.com/muctest/muctest/mod/pep"
	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/mod/private"
	"github.com/muctest/muctest/mod/pubsubsvc"
	"github.com/muctest/muctest/mod/register"
	"github.com/muctest/muctest/mod/roster"
	"github.com/muctest/muctest/mod/session"
	"github.com/muctest/muctest/mod/sm"
	timemod "github.com/muctest/muctest/mod/time"
	"github.com/muctest/muctest/mod/vcard"
	"github.com/muctest/muctest/mod/version"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/muc"
)

// Version is what jabber:iq:version (XEP-0092) reports.
const Version = "0.1"

// DefaultModules is the default set of feature modules, one line per XEP,
// in registration order: what Prosody's scansion configuration enables.
// Adding a XEP to the server is one package under mod/ and one line here.
func DefaultModules() []module.Module {
	return defaultModules(Config{})
}

func defaultModules(cfg Config) []module.Module {
	return []module.Module{
		session.Module{},                    // RFC 3921 session establishment, a no-op for old clients
		disco.Module{ServerName: "muctest"}, // XEP-0030 service discovery, from every registration
		ping.Module{},                       // XEP-0199 ping
		version.Module{Software: "muctest", Version: Version}, // XEP-0092 software version
		timemod.Module{},  // XEP-0202 entity time
		roster.Module{},   // RFC 6121 rosters and presence subscriptions
		offline.Module{},  // XEP-0160 offline messages (XEP-0203 delay)
		blocking.Module{}, // XEP-0191 blocking command
		carbons.Module{},  // XEP-0280 message carbons
		vcard.Module{},    // XEP-0054 vcard-temp, XEP-0153 photo marker
		private.Module{},  // XEP-0049 private XML storage
		last.Module{},     // XEP-0012 last activity
		mam.Module{SmartEnable: !cfg.ArchiveAlways},   // XEP-0313 archives of accounts, XEP-0359 stanza ids
		register.Module{Allow: cfg.AllowRegistration}, // XEP-0077 registration, password change, removal, tombstones
		adhoc.Module{Admins: cfg.Admins},              // XEP-0050 ad-hoc commands, XEP-0133 admin commands
		pep.Module{},                                  // XEP-0163 PEP, XEP-0402 bookmarks, XEP-0084 avatars from vCards
		sm.Module{},                                   // XEP-0198 stream management: acks, resumption
		csi.Module{},                                  // XEP-0352 client state indication
	}
}

// modules is the module list New compiles: the defaults but those in
// cfg.Without, cfg.Modules, and the MUC service as a component.
func (s *Server) modules() ([]module.Module, error) {
	var mods []module.Module
	if !s.cfg.NoDefaultModules {
		for _, m := range defaultModules(s.cfg) {
			if !slices.Contains(s.cfg.Without, m.Name()) {
				mods = append(mods, s.withQuotas(m)) // quotas.go
			}
		}
	}
	for _, name := range s.cfg.Without {
		if name != "pubsub" && !slices.ContainsFunc(DefaultModules(), func(m module.Module) bool { return m.Name() == name }) {
			return nil, fmt.Errorf("server: Without names %q, which is no default module", name)
		}
	}
	for _, m := range s.serviceModules() {
		if !slices.Contains(s.cfg.Without, m.Name()) {
			mods = append(mods, m)
		}
	}
	mods = append(mods, s.cfg.Modules...)
	mods = append(mods, s.webModule()) // transport.go: WebSocket, BOSH, host-meta
	if s.mucDomain != "" {
		mods = append(mods, module.New("muc", func(r *module.Registrar) error {
			h := s.cfg.MUC
			if h == nil {
				h = muc.New(muc.Config{
					Domain:      s.mucDomain,
					Router:      r.Router(), // a component.AddressedRouter: broadcasts go out uncopied
					Admins:      s.cfg.Admins,
					Limits:      s.mucLimits(), // quotas.go
					LockTimeout: s.cfg.MUCLockTimeout,
				})
			}
			r.Component(s.mucDomain, h)
			return nil
		}))
	}
	// XEP-0060 at pubsub.<domain>, as Prosody's test configuration has it
	// (admins create nodes, publishers exposed); a default like the above.
	if !s.cfg.NoDefaultModules && !slices.Contains(s.cfg.Without, "pubsub") {
		mods = append(mods, pubsubsvc.Module{Admins: s.cfg.Admins, ExposePublisher: true, LocalCreate: s.cfg.PubsubLocalCreate})
	}
	return mods, nil
}
