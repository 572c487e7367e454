package c2s

import (
	"encoding/base64"
	"fmt"
	"strings"

	"mellium.im/sasl"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/xmlnode"
)

// AllMechanisms lists the supported SASL mechanisms, strongest first.
var AllMechanisms = []string{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}

func (c *Config) mechanisms() []string {
	if c.Mechanisms == nil {
		return AllMechanisms
	}
	return c.Mechanisms
}

func (c *Config) offers(mech string) bool {
	for _, m := range c.mechanisms() {
		if m == mech {
			return true
		}
	}
	return false
}

// sasl runs one SASL exchange (RFC 6120 section 6) starting with the client's
// <auth/>. It returns true on success; a failed attempt sends <failure/> and
// returns false, nil so that the client can retry on the same stream.
func (s *Session) sasl(auth *xmlnode.Element) (bool, error) {
	user, final, err := s.exchange(profile6120, auth.Attrib("mechanism"), func() ([]byte, error) { return decode64(auth.Text()) })
	if err != nil || user == "" {
		return false, err
	}
	succ := xmlnode.New(NSSASL, "success")
	if len(final) > 0 {
		succ.SetText(base64.StdEncoding.EncodeToString(final))
	}
	if err := s.write(succ); err != nil {
		return false, err
	}
	s.authenticated(user, auth.Attrib("mechanism"), "rfc6120")
	return true, nil
}

// saslProfile is what differs between the two SASL profiles a client may
// use, RFC 6120's and XEP-0388's: the namespace of the challenges,
// responses and aborts, and the shape of a failure. The exchange itself,
// its limits and its throttling are the same (exchange).
type saslProfile struct {
	ns string
	// failure builds the <failure/> for a condition of RFC 6120 section
	// 6.5, with text when non-empty.
	failure func(cond, text string) *xmlnode.Element
}

var profile6120 = &saslProfile{ns: NSSASL, failure: func(cond, text string) *xmlnode.Element {
	f := xmlnode.New(NSSASL, "failure")
	f.AddChild(NSSASL, cond)
	if text != "" {
		f.AddChild(NSSASL, "text").SetText(text)
	}
	return f
}}

// exchange runs the mechanism mech with the client's initial response,
// which initial decodes (nil: none; an error is incorrect-encoding), once
// the mechanism is known and the peer not held back. It returns the authenticated localpart and the
// server's final data (SCRAM's server-final message) on success; on a
// failure it has sent the profile's <failure/> and returns "" and a nil
// error, so that the client may retry on the same stream. The caller
// answers a success and then calls authenticated.
func (s *Session) exchange(p *saslProfile, mech string, initial func() ([]byte, error)) (string, []byte, error) {
	if !s.cfg.offers(mech) {
		return "", nil, s.write(p.failure("invalid-mechanism", ""))
	}
	var m sasl.Mechanism
	switch mech {
	case "PLAIN":
		m = sasl.Plain
	case "SCRAM-SHA-1":
		m = sasl.ScramSha1
	case "SCRAM-SHA-256":
		m = sasl.ScramSha256
	default:
		return "", nil, s.write(p.failure("invalid-mechanism", ""))
	}
	throttle := s.cfg.AuthThrottle
	if throttle != nil && !throttle.Allow(s.raw.RemoteAddr(), "") {
		return "", nil, s.throttled(p)
	}
	var user string
	// badAuthz records a refused authorization identity, which RFC 6120
	// section 6.5.6 reports as invalid-authzid rather than not-authorized.
	// held records an account AuthThrottle holds back; checked, the
	// account whose credentials were checked (a failure then counts).
	badAuthz, held := false, false
	checked := ""
	allow := func(name string) bool {
		if throttle != nil && !throttle.Allow(s.raw.RemoteAddr(), name) {
			held = true
			return false
		}
		checked = name
		return true
	}
	neg := sasl.NewServer(m, func(n *sasl.Negotiator) bool {
		// PLAIN: the negotiator hands us the decoded credentials.
		u, pass, authz := n.Credentials()
		name, ok := s.normalizeUser(string(u))
		if !ok {
			return false
		}
		if !s.authzOK(string(authz), name) {
			badAuthz = true
			return false
		}
		if !allow(name) || !s.checkPlain(name, string(pass)) {
			return false
		}
		user = name
		return true
	}, sasl.SaltedCredentials(func(u, authz []byte, mechanism string) ([]byte, []byte, int64, error) {
		name, ok := s.normalizeUser(string(u))
		if !ok {
			return nil, nil, 0, sasl.ErrAuthn
		}
		if !s.authzOK(string(authz), name) {
			badAuthz = true
			return nil, nil, 0, sasl.ErrAuthn
		}
		if !allow(name) {
			return nil, nil, 0, sasl.ErrAuthn
		}
		salt, salted, iter, ok := s.cfg.Auth.SCRAMCredentials(name, mechanism)
		if !ok {
			return nil, nil, 0, sasl.ErrAuthn
		}
		user = name
		return salt, salted, int64(iter), nil
	}))

	// refuse answers a failed exchange: a refused authorization identity
	// is invalid-authzid (RFC 6120 section 6.5.6), anything else
	// not-authorized, which tells an attacker nothing more.
	refuse := func() error {
		switch {
		case held:
			return s.throttled(p)
		case badAuthz:
			return s.write(p.failure("invalid-authzid", ""))
		}
		if throttle != nil && checked != "" {
			throttle.Failed(s.raw.RemoteAddr(), checked)
		}
		return s.write(p.failure("not-authorized", ""))
	}

	data, err := initial()
	if err != nil {
		return "", nil, s.write(p.failure("incorrect-encoding", ""))
	}
	for {
		if data == nil {
			// No initial response: ask for it with an empty challenge.
			data, err = s.challenge(p, nil)
			if err != nil || data == nil {
				return "", nil, err // nil data: aborted or failed
			}
		}
		more, resp, err := step(neg, data)
		if err != nil {
			if ok, suppressed := failureLog.allow(); ok {
				s.log.Info("c2s: sasl failure", "mechanism", mech, "err", err, "suppressed_before", suppressed)
			}
			return "", nil, refuse()
		}
		if !more {
			if user == "" {
				return "", nil, refuse()
			}
			return user, resp, nil
		}
		data, err = s.challenge(p, resp)
		if err != nil || data == nil {
			return "", nil, err
		}
	}
}

// authenticated records a successful exchange, once its success is
// answered.
func (s *Session) authenticated(user, mech, profile string) {
	s.user = user
	if t := s.cfg.AuthThrottle; t != nil {
		t.Succeeded(s.raw.RemoteAddr(), user)
	}
	s.log.Info("c2s: authenticated", "user", user, "mechanism", mech, "sasl", profile)
}

// checkPlain verifies PLAIN credentials, with the peer's address when the
// Authenticator takes it.
func (s *Session) checkPlain(name, pass string) bool {
	if a, ok := s.cfg.Auth.(AddrAuthenticator); ok {
		return a.CheckPlainFrom(s.raw.RemoteAddr(), name, pass)
	}
	return s.cfg.Auth.CheckPlain(name, pass)
}

// step calls neg.Step, turning a panic inside the SASL library (which parses
// network input) into an authentication failure.
func step(neg *sasl.Negotiator, data []byte) (more bool, resp []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			more, resp, err = false, nil, fmt.Errorf("c2s: sasl: %v", r)
		}
	}()
	return neg.Step(data)
}

// challenge sends a SASL challenge and reads the client's response. It
// returns nil data (and nil error) when the client aborted or sent garbage;
// the failure has then been sent already.
func (s *Session) challenge(p *saslProfile, c []byte) ([]byte, error) {
	ch := xmlnode.New(p.ns, "challenge")
	if len(c) > 0 {
		ch.SetText(base64.StdEncoding.EncodeToString(c))
	}
	if err := s.write(ch); err != nil {
		return nil, err
	}
	el, err := s.next()
	if err != nil {
		return nil, err
	}
	switch {
	case el.Name.Space == p.ns && el.Name.Local == "response":
		d, err := decode64(el.Text())
		if err != nil {
			return nil, s.write(p.failure("incorrect-encoding", ""))
		}
		if d == nil {
			d = []byte{}
		}
		return d, nil
	case el.Name.Space == p.ns && el.Name.Local == "abort":
		return nil, s.write(p.failure("aborted", ""))
	default:
		return nil, s.write(p.failure("malformed-request", ""))
	}
}

// throttled answers an attempt AuthThrottle holds back.
func (s *Session) throttled(p *saslProfile) error {
	return s.write(p.failure("temporary-auth-failure", "too many failed attempts: try again later"))
}

// decode64 decodes SASL data: "" is no data (nil), "=" is empty data.
func decode64(t string) ([]byte, error) {
	t = strings.TrimSpace(t)
	switch t {
	case "":
		return nil, nil
	case "=":
		return []byte{}, nil
	}
	return base64.StdEncoding.DecodeString(t)
}

// normalizeUser applies the localpart profile of RFC 7622 to a SASL
// username.
func (s *Session) normalizeUser(u string) (string, bool) {
	if len(u) > jidcheck.MaxPartBytes {
		return "", false // before PRECIS, whose cost grows with the input
	}
	j, err := jidcheck.NewFast(u, s.cfg.Domain, "")
	if err != nil || j.Localpart() == "" {
		return "", false
	}
	return j.Localpart(), true
}

// authzOK accepts an empty authorization identity or one naming the
// authenticated account itself.
func (s *Session) authzOK(authz, user string) bool {
	if authz == "" {
		return true
	}
	j, err := jidcheck.Parse(authz)
	return err == nil && j.Localpart() == user && j.Domainpart() == s.cfg.Domain && j.Resourcepart() == ""
}
