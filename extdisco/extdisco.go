// Package extdisco implements XEP-0215 External Service Discovery: the list
// of STUN, TURN and other services a client may use, and short-lived
// credentials for those behind a shared secret.
//
// Credentials follow the TURN REST API convention (draft-uberti-behave-
// turn-rest), as Prosody's mod_external_services computes them, so that a
// coturn configured with the same static-auth-secret accepts them: the
// username is the expiry time in Unix seconds (":name" appended when the
// service has a username), the password base64(HMAC-SHA1(secret, username)).
// Services with a username or password are marked restricted.
package extdisco

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strconv"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// NS is the XEP-0215 namespace.
const NS = "urn:xmpp:extdisco:2"

// DefaultTTL is how long computed credentials stay valid.
const DefaultTTL = 24 * time.Hour

// Service is one external service as configured.
type Service struct {
	Type, Transport, Host string // Host "" takes Config.Host
	Port                  int    // 0 takes Config.Port
	Username, Password    string
	// Secret, when set, makes the service's credentials computed (TURN REST)
	// from it; UseDefaultSecret uses Config.Secret instead (Prosody's
	// `secret = true`).
	Secret           string
	UseDefaultSecret bool
}

// Config lists the services and their defaults.
type Config struct {
	Host     string
	Port     int
	Secret   string
	TTL      time.Duration
	Services []Service
	// Now is the clock, for tests; time.Now when nil.
	Now func() time.Time
}

// Error is a refused request, as a stanza error condition.
type Error struct{ Type, Condition string }

func (e *Error) Error() string { return "extdisco: " + e.Condition }

// Services answers <services/> (kind "services") or <credentials/> (kind
// "credentials") with the payload of the result.
func (c *Config) Answer(q *xmlnode.Element) (*xmlnode.Element, error) {
	out := xmlnode.New(NS, q.Name.Local)
	switch q.Name.Local {
	case "services":
		typ := q.Attrib("type")
		for i := range c.Services {
			if typ == "" || c.Services[i].Type == typ {
				out.Append(c.element(&c.Services[i]))
			}
		}
	case "credentials":
		wants := q.ChildrenNamed(NS, "service")
		if len(wants) == 0 {
			return nil, &Error{"modify", "bad-request"}
		}
		for _, w := range wants {
			host, typ := w.Attrib("host"), w.Attrib("type")
			if host == "" || typ == "" {
				return nil, &Error{"modify", "bad-request"}
			}
			port, _ := strconv.Atoi(w.Attrib("port"))
			for i := range c.Services {
				s := &c.Services[i]
				if c.host(s) == host && s.Type == typ && (port == 0 || c.port(s) == port) {
					out.Append(c.element(s))
				}
			}
		}
	default:
		return nil, &Error{"cancel", "feature-not-implemented"}
	}
	return out, nil
}

func (c *Config) host(s *Service) string {
	if s.Host != "" {
		return s.Host
	}
	return c.Host
}

func (c *Config) port(s *Service) int {
	if s.Port != 0 {
		return s.Port
	}
	return c.Port
}

func (c *Config) element(s *Service) *xmlnode.Element {
	e := xmlnode.New(NS, "service", "type", s.Type)
	if s.Transport != "" {
		e.SetAttr("transport", s.Transport)
	}
	if h := c.host(s); h != "" {
		e.SetAttr("host", h)
	}
	if p := c.port(s); p != 0 {
		e.SetAttr("port", strconv.Itoa(p))
	}
	user, pass := s.Username, s.Password
	secret := s.Secret
	if s.UseDefaultSecret {
		secret = c.Secret
	}
	if secret != "" {
		user, pass = c.restCredentials(secret, s.Username)
	}
	if user != "" {
		e.SetAttr("username", user)
	}
	if pass != "" {
		e.SetAttr("password", pass)
	}
	if user != "" || pass != "" {
		e.SetAttr("restricted", "1")
	}
	return e
}

// restCredentials computes TURN REST API credentials valid for the TTL.
func (c *Config) restCredentials(secret, name string) (user, pass string) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	ttl := c.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	user = strconv.FormatInt(now().Add(ttl).Unix(), 10)
	if name != "" {
		user += ":" + name
	}
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(user))
	return user, base64.StdEncoding.EncodeToString(m.Sum(nil))
}
