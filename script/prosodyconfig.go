package script

import (
	"github.com/muctest/muctest/extdisco"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/upload"
)

// prosodyServices are the service settings of the configuration Prosody's
// own scansion scripts run against (its upload limits, contact addresses
// and external services), so that those scripts pass in-process unchanged:
// the in-process server a script gets is configured like Prosody's test
// server, as it is in authentication (any password) and admins.
func prosodyServices() server.Services {
	return server.Services{
		Upload: upload.Config{
			MaxFileSize:  10_000_000,
			AllowedTypes: []string{"text/plain", "image/*"},
		},
		ContactInfo: map[string][]string{
			"abuse":    {"mailto:abuse@localhost", "xmpp:abuse@localhost"},
			"admin":    {"mailto:admin@localhost", "xmpp:admin@localhost"},
			"feedback": {"http://localhost/feedback.html", "mailto:feedback@localhost", "xmpp:feedback@localhost"},
			"sales":    {"xmpp:sales@localhost"},
			"security": {"xmpp:security@localhost"},
			"status":   {"gopher://status.localhost"},
			"support":  {"https://localhost/support.html", "xmpp:support@localhost"},
		},
		ExternalServices: &extdisco.Config{
			Host: "default.example", Port: 9876, Secret: "<secret>",
			Services: []extdisco.Service{
				{Type: "stun", Transport: "udp"},
				{Type: "turn", Transport: "udp", UseDefaultSecret: true},
				{Type: "turn", Transport: "udp", Secret: "foo"},
				{Type: "ftp", Transport: "tcp", Port: 2121, Username: "john", Password: "password"},
				{Type: "ftp", Transport: "tcp", Host: "ftp.example.com", Port: 21, Username: "john", Password: "password"},
			},
		},
	}
}
