package c2s

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/xmlnode"
)

// XEP-0388 Extensible SASL Profile (SASL2) and XEP-0386 Bind 2.
//
// SASL2 is the same exchange as RFC 6120's (exchange: the same
// mechanisms, limits and throttling) in another namespace, with no stream
// restart after <success/>, which names the authorization identity and
// may carry the results of requests made inline in <authenticate/>. The
// one such request served here is Bind2's <bind/>: the session is bound
// with a resource made from the client's <tag/>, and the features the
// client asks for inside <bind/> (XEP-0198's <enable/>, XEP-0280's
// carbons) take effect as it is bound, their answers inside <bound/>.

// Namespaces of XEP-0388 and XEP-0386.
const (
	NSSASL2 = c2sapi.NSSASL2
	NSBind2 = c2sapi.NSBind2
)

// Bind2Feature is a feature a client may ask for inside XEP-0386's
// <bind/> (see c2sapi.Bind2Feature); Handle gets the *Session.
type Bind2Feature = c2sapi.Bind2Feature

// SASL2Feature is a request made inline in SASL2's <authenticate/> (see
// c2sapi.SASL2Feature): XEP-0198's <resume/>. A *c2sapi.StreamErr its
// Handle returns ends the stream with that condition.
type SASL2Feature = c2sapi.SASL2Feature

// InlineHost is a Host that runs XEP-0386's inline features as it binds:
// inline is called with the session's Handler once the session is bound
// and before reply is queued, where nothing can be delivered to the
// session in between (so that XEP-0198 counts from the <success/> on).
// A Host that is not one gets Bind2 without inline features.
type InlineHost interface {
	Host
	BindInline(s *Session, full jid.JID, reply *xmlnode.Element, inline func(h Handler)) (Handler, error)
}

// Bounds on what a client names itself with in <authenticate/>.
const (
	// maxTagBytes bounds a Bind2 <tag/>: a client's name, with room left
	// in the resource for the random suffix.
	maxTagBytes = 64
	// bindSuffix is how many random characters follow the tag.
	bindSuffix = 8
)

var profile388 = &saslProfile{ns: NSSASL2, failure: func(cond, text string) *xmlnode.Element {
	f := xmlnode.New(NSSASL2, "failure")
	f.AddChild(NSSASL, cond) // RFC 6120's conditions, in their namespace
	if text != "" {
		f.AddChild(NSSASL2, "text").SetText(text)
	}
	return f
}}

// bind2Features returns the inline features offered: none unless the
// Host runs them.
func (c *Config) bind2Features() []Bind2Feature {
	if _, ok := c.Host.(InlineHost); !ok {
		return nil
	}
	return c.Bind2
}

// sasl2Feature is the <authentication/> offered next to RFC 6120's
// <mechanisms/>: the same mechanisms, the modules' inline requests
// (XEP-0198's <sm/>) and Bind2 with its inline features. What depends on
// the Config alone is built once (sasl2Parts) and shared by every
// session's offer, which only reads it: per session the offer costs a few
// allocations instead of about a hundred.
func (s *Session) sasl2Feature() *xmlnode.Element {
	p := s.cfg.sasl2Parts()
	a := xmlnode.New(NSSASL2, "authentication")
	a.Children = make([]xmlnode.Node, 0, len(p.mechanisms)+1)
	a.Children = append(a.Children, p.mechanisms...)
	in := xmlnode.New(NSSASL2, "inline")
	for _, f := range s.cfg.SASL2Inline {
		if f.Offer == nil {
			continue
		}
		if el := f.Offer(s); el != nil {
			in.Append(el)
		}
	}
	in.Append(p.bind)
	return a.Append(in)
}

// sasl2Offer is the part of the SASL2 offer that depends on the Config
// alone: the <mechanism/> elements and the <bind/> with its features.
// Never changed once built.
type sasl2Offer struct {
	mechanisms []xmlnode.Node
	bind       *xmlnode.Element
}

// sasl2Parts returns c's sasl2Offer, from a table shared by the Configs
// with the same mechanisms and Bind2 features (as sharedLimits shares
// Limits), built when first asked for; past maxSharedLimits distinct
// ones a Config gets one of its own each time.
func (c *Config) sasl2Parts() *sasl2Offer {
	fs := c.bind2Features()
	var key strings.Builder
	for _, m := range c.mechanisms() {
		key.WriteString(m)
		key.WriteByte(0)
	}
	for _, f := range fs {
		key.WriteByte(1)
		key.WriteString(f.Var)
	}
	k := key.String()
	offerTable.mu.Lock()
	defer offerTable.mu.Unlock()
	if p := offerTable.m[k]; p != nil {
		return p
	}
	p := &sasl2Offer{bind: xmlnode.New(NSBind2, "bind")}
	for _, name := range c.mechanisms() {
		p.mechanisms = append(p.mechanisms, xmlnode.New(NSSASL2, "mechanism").SetText(name))
	}
	if len(fs) > 0 {
		in := p.bind.AddChild(NSBind2, "inline")
		for _, f := range fs {
			in.AddChild(NSBind2, "feature", "var", f.Var)
		}
	}
	if len(offerTable.m) < maxSharedLimits {
		if offerTable.m == nil {
			offerTable.m = make(map[string]*sasl2Offer)
		}
		offerTable.m[k] = p
	}
	return p
}

var offerTable struct {
	mu sync.Mutex
	m  map[string]*sasl2Offer
}

// sasl2 runs a XEP-0388 exchange starting with the client's
// <authenticate/>, and a Bind2 request made in it. It returns true once
// the session is bound. A failure has been answered and returns false,
// nil (the client may retry); so does a success without <bind/>, after
// which the post-authentication features are sent, without a restart.
func (s *Session) sasl2(auth *xmlnode.Element) (bool, error) {
	mech := auth.Attrib("mechanism")
	user, final, err := s.exchange(profile388, mech, func() ([]byte, error) {
		ir := auth.Child(NSSASL2, "initial-response")
		if ir == nil {
			return nil, nil
		}
		d, err := decode64(ir.Text())
		if d == nil && err == nil {
			d = []byte{} // present and empty: an empty response
		}
		return d, err
	})
	if err != nil || user == "" {
		return false, err
	}
	succ := xmlnode.New(NSSASL2, "success")
	if len(final) > 0 {
		succ.AddChild(NSSASL2, "additional-data").SetText(base64.StdEncoding.EncodeToString(final))
	}
	authz := succ.AddChild(NSSASL2, "authorization-identifier")
	s.authenticated(user, mech, "sasl2")
	authz.SetText(user + "@" + s.cfg.Domain)
	for i := range s.cfg.SASL2Inline {
		f := &s.cfg.SASL2Inline[i]
		el := auth.Child(f.Name.Space, f.Name.Local)
		if el == nil {
			continue
		}
		bound, err := f.Handle(s, el, succ)
		if se := (*c2sapi.StreamErr)(nil); errors.As(err, &se) {
			err = StreamError(se.Cond, se.Text)
		}
		if err != nil || bound {
			return bound, err
		}
		s.mu.Lock()
		bound = s.bound
		s.mu.Unlock()
		if bound {
			return true, nil
		}
	}
	req := auth.Child(NSBind2, "bind")
	if req == nil {
		if err := s.write(succ); err != nil {
			return false, err
		}
		return false, s.writeFeatures(s.features(), false)
	}
	return s.bind2(req, succ, authz)
}

// bind2 binds the session as XEP-0386 asks: the resource is the client's
// tag and a random suffix (a random one alone without a usable tag), and
// the features requested inside <bind/> run as it is bound (each at most
// once, whatever the client repeats). succ is the <success/> to answer
// with, authz its authorization identifier.
func (s *Session) bind2(req, succ, authz *xmlnode.Element) (bool, error) {
	suffix := strings.ToLower(rand.Text()[:bindSuffix])
	full, err := jid.JID{}, error(nil)
	if tag := strings.TrimSpace(req.ChildText(NSBind2, "tag")); tag != "" && len(tag) <= maxTagBytes {
		full, err = jidcheck.NewFast(s.user, s.cfg.Domain, tag+"."+suffix)
	}
	if full.Localpart() == "" || err != nil {
		full, err = jidcheck.NewFast(s.user, s.cfg.Domain, suffix)
		if err != nil {
			return false, err // s.user and the domain are valid already
		}
	}
	authz.SetText(full.String())
	bound := succ.AddChild(NSBind2, "bound")
	var inline func(Handler)
	if fs := s.cfg.bind2Features(); len(fs) > 0 {
		inline = func(h Handler) {
			for i := range fs {
				f := &fs[i]
				el := req.Child(f.Name.Space, f.Name.Local)
				if el == nil {
					continue
				}
				if a := f.Handle(s, h, el); a != nil {
					bound.Append(a)
				}
			}
		}
	}
	refused, err := s.bindAs(full, succ, inline)
	if refused != nil {
		// Authenticated, not bound: the client may authenticate again.
		s.user = ""
		// temporary-auth-failure: RFC 6120's "try again later", with the
		// bind's own condition as the text.
		text := refused.Condition
		if refused.Text != "" {
			text += ": " + refused.Text
		}
		return false, s.write(profile388.failure("temporary-auth-failure", text))
	}
	if err != nil {
		return false, err
	}
	s.log.Info("c2s: bound with bind2") // the logger names the JID (logJID)
	return true, nil
}
