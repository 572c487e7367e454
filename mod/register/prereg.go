package register

import (
	"encoding/xml"
	"net"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// maxTrackedAddrs bounds the addresses whose registrations are counted;
// past it, the counts whose minute is over are forgotten, and if that is
// not enough registration waits (resource-constraint) until it is.
const maxTrackedAddrs = 10000

// registerPreAuth offers registration to streams that have not
// authenticated (XEP-0077 sections 3.1 and 3.2): the stream feature, the
// form on a get, a new account on a set. The handler runs in the stream's
// goroutine without the router's lock, and takes it to touch accounts.
func (s *mod) registerPreAuth(r *module.Registrar) {
	r.StreamFeature(module.StreamFeature{PreAuth: true, Offer: func(c2sapi.Session) *xmlnode.Element {
		return xmlnode.New(NSFeature, "register")
	}})
	locked := r.Locked()
	domain := r.Domain()
	s.recent = map[string][]time.Time{}
	r.StreamElement(module.StreamElement{Name: xml.Name{Space: nsClient, Local: "iq"}, Stage: c2sapi.Unauthenticated,
		Handle: func(sess c2sapi.Session, iq *xmlnode.Element) error {
			q := iq.Child(NS, "query")
			typ := iq.Attrib("type")
			if q == nil || (typ != "get" && typ != "set") {
				// Only registration comes before authentication.
				return c2sapi.StreamError(stream.NotAuthorized, "authenticate and bind first")
			}
			if to := iq.Attrib("to"); to != "" && to != domain {
				return sess.WriteNegotiation(stanzaerr.Reply(iq, "cancel", "service-unavailable", "", ""))
			}
			if typ == "get" {
				return sess.WriteNegotiation(registrationForm(iq, domain))
			}
			var reply *xmlnode.Element
			locked(func(c module.Context) { reply = s.create(c, iq, q, sess.RemoteAddr()) })
			return sess.WriteNegotiation(reply)
		}})
}

// registrationForm is XEP-0077's form for a new account (example 2).
func registrationForm(iq *xmlnode.Element, domain string) *xmlnode.Element {
	res := result(iq, domain)
	q := res.AddChild(NS, "query")
	q.AddChild(NS, "instructions").SetText("Choose a username and password for use with this service.")
	q.AddChild(NS, "username")
	q.AddChild(NS, "password")
	// The same as an XEP-0004 form (XEP-0077 section 5), which clients
	// that render forms (Gajim) prefer; a submission of either is taken.
	x := q.AddChild(nsData, "x", "type", "form")
	x.AddChild(nsData, "title").SetText("Creating a new account")
	x.AddChild(nsData, "instructions").SetText("Choose a username and password for use with this service.")
	x.AddChild(nsData, "field", "type", "hidden", "var", "FORM_TYPE").AddChild(nsData, "value").SetText(NS)
	x.AddChild(nsData, "field", "type", "text-single", "var", "username", "label", "Username").AddChild(nsData, "required")
	x.AddChild(nsData, "field", "type", "text-private", "var", "password", "label", "Password").AddChild(nsData, "required")
	return res
}

// nsData is XEP-0004's namespace.
const nsData = "jabber:x:data"

// credentials reads the username and password of a registration set, from
// the legacy fields or a submitted data form.
func credentials(q *xmlnode.Element) (user, pass string) {
	user, pass = q.ChildText(NS, "username"), q.ChildText(NS, "password")
	if x := q.Child(nsData, "x"); x != nil && x.Attrib("type") == "submit" {
		for _, f := range x.ChildrenNamed(nsData, "field") {
			switch f.Attrib("var") {
			case "username":
				user = f.ChildText(nsData, "value")
			case "password":
				pass = f.ChildText(nsData, "value")
			}
		}
	}
	return user, pass
}

func result(iq *xmlnode.Element, domain string) *xmlnode.Element {
	res := xmlnode.New(nsClient, "iq", "type", "result", "from", domain)
	if id := iq.Attrib("id"); id != "" {
		res.SetAttr("id", id)
	}
	return res
}

// create registers the account a set asks for, within the caps, and
// returns the answer (with the lock held).
func (s *mod) create(c module.Context, iq, q *xmlnode.Element, remote net.Addr) *xmlnode.Element {
	fail := func(typ, cond, text string) *xmlnode.Element {
		e := stanzaerr.Reply(iq, typ, cond, text, "")
		e.SetAttr("from", c.Domain())
		e.RemoveAttr("to")
		return e
	}
	if q.Child(NS, "remove") != nil {
		return fail("auth", "not-authorized", "Log in to remove an account")
	}
	user, pass := credentials(q)
	if user == "" || pass == "" {
		return fail("modify", "not-acceptable", "Username and password are required")
	}
	if len(user) > jidcheck.MaxPartBytes || len(pass) > MaxPasswordBytes {
		return fail("modify", "not-acceptable", "Username or password too long")
	}
	j, err := jid.New(user, c.Domain(), "")
	if err != nil || j.Localpart() == "" {
		return fail("modify", "jid-malformed", "Invalid username")
	}
	name := j.Localpart()
	am := module.Accounts(c)
	if am == nil {
		return fail("wait", "internal-server-error", "")
	}
	if am.AccountExists(name) {
		return fail("cancel", "conflict", "The requested username already exists")
	}
	if s.buried(name) {
		return fail("cancel", "conflict", "The requested username was recently deleted")
	}
	if s.cfg.MaxAccounts >= 0 && s.created >= s.cfg.MaxAccounts {
		return fail("wait", "resource-constraint", "No more accounts can be registered")
	}
	addr := hostOf(remote)
	if !s.allowAddr(addr) {
		return fail("wait", "resource-constraint", "Too many registrations from your address: try again later")
	}
	if _, err := am.CreateAccount(name, pass); err != nil {
		return fail("cancel", "conflict", "The requested username already exists")
	}
	s.created++
	s.recent[addr] = append(s.recent[addr], s.cfg.Now())
	c.Logger().Info("register: account created", "user", name, "remote", addr)
	return result(iq, c.Domain())
}

// allowAddr reports whether addr may register one more account this
// minute.
func (s *mod) allowAddr(addr string) bool {
	if s.cfg.PerIPPerMinute < 0 {
		return true
	}
	now := s.cfg.Now()
	keep := func(ts []time.Time) []time.Time {
		i := 0
		for i < len(ts) && now.Sub(ts[i]) >= time.Minute {
			i++
		}
		return ts[i:]
	}
	s.recent[addr] = keep(s.recent[addr])
	if len(s.recent) > maxTrackedAddrs {
		for a, ts := range s.recent {
			if ts = keep(ts); len(ts) == 0 {
				delete(s.recent, a)
			} else {
				s.recent[a] = ts
			}
		}
		if len(s.recent) > maxTrackedAddrs {
			return false
		}
	}
	return len(s.recent[addr]) < s.cfg.PerIPPerMinute
}

// hostOf is the IP address of remote without its port.
func hostOf(remote net.Addr) string {
	if remote == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(remote.String())
	if err != nil {
		return remote.String()
	}
	return h
}
