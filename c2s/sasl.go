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
	mech := auth.Attrib("mechanism")
	if !s.cfg.offers(mech) {
		return false, s.saslFailure("invalid-mechanism")
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
		return false, s.saslFailure("invalid-mechanism")
	}
	throttle := s.cfg.AuthThrottle
	if throttle != nil && !throttle.Allow(s.raw.RemoteAddr(), "") {
		return false, s.throttled()
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
			return s.throttled()
		case badAuthz:
			return s.saslFailure("invalid-authzid")
		}
		if throttle != nil && checked != "" {
			throttle.Failed(s.raw.RemoteAddr(), checked)
		}
		return s.saslFailure("not-authorized")
	}

	data, err := decode64(auth.Text())
	if err != nil {
		return false, s.saslFailure("incorrect-encoding")
	}
	for {
		if data == nil {
			// No initial response: ask for it with an empty challenge.
			data, err = s.challenge(nil)
			if err != nil {
				return false, err
			}
			if data == nil {
				return false, nil // aborted or failed
			}
		}
		more, resp, err := step(neg, data)
		if err != nil {
			if ok, suppressed := failureLog.allow(); ok {
				s.log.Info("c2s: sasl failure", "mechanism", mech, "err", err, "suppressed_before", suppressed)
			}
			return false, refuse()
		}
		if !more {
			if user == "" {
				return false, refuse()
			}
			succ := xmlnode.New(NSSASL, "success")
			if len(resp) > 0 {
				succ.SetText(base64.StdEncoding.EncodeToString(resp))
			}
			if err := s.write(succ); err != nil {
				return false, err
			}
			s.user = user
			if throttle != nil {
				throttle.Succeeded(s.raw.RemoteAddr(), user)
			}
			s.log.Info("c2s: authenticated", "user", user, "mechanism", mech)
			return true, nil
		}
		data, err = s.challenge(resp)
		if err != nil {
			return false, err
		}
		if data == nil {
			return false, nil
		}
	}
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
func (s *Session) challenge(c []byte) ([]byte, error) {
	ch := xmlnode.New(NSSASL, "challenge")
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
	case el.Name.Space == NSSASL && el.Name.Local == "response":
		d, err := decode64(el.Text())
		if err != nil {
			return nil, s.saslFailure("incorrect-encoding")
		}
		if d == nil {
			d = []byte{}
		}
		return d, nil
	case el.Name.Space == NSSASL && el.Name.Local == "abort":
		return nil, s.saslFailure("aborted")
	default:
		return nil, s.saslFailure("malformed-request")
	}
}

// throttled answers an attempt AuthThrottle holds back.
func (s *Session) throttled() error {
	f := xmlnode.New(NSSASL, "failure")
	f.AddChild(NSSASL, "temporary-auth-failure")
	f.AddChild(NSSASL, "text").SetText("too many failed attempts: try again later")
	return s.write(f)
}

func (s *Session) saslFailure(cond string) error {
	f := xmlnode.New(NSSASL, "failure")
	f.AddChild(NSSASL, cond)
	return s.write(f)
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
