package server

import (
	"strconv"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/xmlnode"
)

// Payload namespaces answered by the server itself.
const (
	nsPing       = "urn:xmpp:ping"
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsDiscoItems = "http://jabber.org/protocol/disco#items"
	nsVersion    = "jabber:iq:version"
	nsTime       = "urn:xmpp:time"
	nsRoster     = "jabber:iq:roster"
	nsVCard      = "vcard-temp"
	nsPrivate    = "jabber:iq:private"
	nsLast       = "jabber:iq:last"
)

// Version is what jabber:iq:version (XEP-0092) reports.
const Version = "0.1"

// serverFeatures are advertised in disco#info on the server's domain
// (XEP-0030); each is something this package actually answers.
var serverFeatures = []string{
	nsDiscoInfo, nsDiscoItems, nsPing, nsRoster, nsVersion, nsTime, "msgoffline", nsVCard, nsPrivate, nsCarbons, nsBlocking, nsLast,
}

// accountFeatures are advertised in disco#info on a user's bare JID.
var accountFeatures = []string{nsDiscoInfo, nsDiscoItems, nsPing, nsVCard}

func (s *Server) iqFromClient(tx *txn, ss *session, st *xmlnode.Element, to jid.JID) {
	typ := st.Attrib("type")
	if st.Attrib("id") == "" {
		r := errorReply(st, stanza.Modify, stanza.BadRequest, "Missing required 'id' attribute")
		r.RemoveAttr("to")
		r.SetAttr("from", s.domain)
		ss.send(r)
		return
	}
	switch typ {
	case "get", "set":
		if len(st.Elements()) != 1 {
			r := errorReply(st, stanza.Modify, stanza.BadRequest, "Incorrect number of children for IQ stanza")
			r.RemoveAttr("to")
			r.SetAttr("from", s.domain)
			ss.send(r)
			return
		}
	case "result", "error":
	default:
		r := errorReply(st, stanza.Modify, stanza.BadRequest, "Invalid IQ type")
		ss.send(r)
		return
	}
	switch {
	case to.Domainpart() == "":
		s.accountIQ(tx, ss.acct, st, true)
	case s.isComponent(to):
		tx.toComponent = append(tx.toComponent, st)
	case s.remote(to):
		s.bounceRemote(tx, st)
	default:
		s.deliverIQ(tx, st, to)
	}
}

// deliverIQ handles an iq for this domain: the server, an account, or a
// session (RFC 6121 section 8.5).
func (s *Server) deliverIQ(tx *txn, st *xmlnode.Element, to jid.JID) {
	if s.blockedInbound(tx, st, to) {
		return
	}
	typ := st.Attrib("type")
	if to.Localpart() == "" {
		if to.Resourcepart() == "" {
			s.serverIQ(tx, st)
		} else if typ == "get" || typ == "set" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	acct := s.accountLocked(to.Localpart())
	if acct == nil {
		if typ == "get" || typ == "set" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	if res := to.Resourcepart(); res != "" {
		if ss := acct.session(res); ss != nil {
			ss.send(st)
		} else if typ == "get" || typ == "set" {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
		}
		return
	}
	from, _ := jid.Parse(st.Attrib("from"))
	s.accountIQ(tx, acct, st, from.Localpart() == acct.name && from.Domainpart() == s.domain)
}

// requestPayload returns the one child of a get or set iq, the request the
// server answers. It returns nil for results and errors, and for a request
// without exactly one child, which it refuses with bad-request:
// iqFromClient already refuses those from clients, but stanzas from
// components reach the server's handlers without that check.
func (s *Server) requestPayload(tx *txn, st *xmlnode.Element) *xmlnode.Element {
	if typ := st.Attrib("type"); typ != "get" && typ != "set" {
		return nil
	}
	els := st.Elements()
	if len(els) != 1 {
		s.bounce(tx, st, stanza.Modify, stanza.BadRequest, "")
		return nil
	}
	return els[0]
}

// accountIQ answers an iq addressed to a user's bare JID (or sent with no
// "to", which means the sender's own account). self says whether the sender
// is the account's owner.
func (s *Server) accountIQ(tx *txn, acct *account, st *xmlnode.Element, self bool) {
	payload := s.requestPayload(tx, st)
	if payload == nil {
		return
	}
	typ := st.Attrib("type")
	switch {
	case unknownDiscoNode(payload, typ):
		s.bounce(tx, st, stanza.Cancel, stanza.ItemNotFound, "Node does not exist")
	case payload.Name.Space == nsRoster && payload.Name.Local == "query":
		if !self {
			s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
			return
		}
		s.rosterIQ(tx, acct, st, payload)
	case payload.Name.Space == nsPing && payload.Name.Local == "ping" && typ == "get":
		s.reply(tx, result(st))
	case payload.Name.Space == nsDiscoInfo && typ == "get" && payload.Attrib("node") == "" &&
		(self || acct.subscribedFrom(st.Attrib("from"))):
		r := result(st)
		q := r.AddChild(nsDiscoInfo, "query")
		q.AddChild(nsDiscoInfo, "identity", "category", "account", "type", "registered")
		for _, f := range accountFeatures {
			q.AddChild(nsDiscoInfo, "feature", "var", f)
		}
		s.reply(tx, r)
	case payload.Name.Space == nsDiscoItems && typ == "get" && payload.Attrib("node") == "" &&
		(self || acct.subscribedFrom(st.Attrib("from"))):
		r := result(st)
		r.AddChild(nsDiscoItems, "query")
		s.reply(tx, r)
	case payload.Name.Space == nsVCard && payload.Name.Local == "vCard" && typ == "get":
		// An empty vCard for users without one, as Prosody answers.
		r := result(st)
		if acct.vcard != nil {
			r.Append(acct.vcard.Copy())
		} else {
			r.AddChild(nsVCard, "vCard")
		}
		s.reply(tx, r)
	case payload.Name.Space == nsVCard && payload.Name.Local == "vCard" && typ == "set":
		if !self {
			s.bounce(tx, st, stanza.Auth, stanza.Forbidden, "")
			return
		}
		acct.vcard = payload.Copy()
		s.reply(tx, result(st))
	case payload.Name.Space == nsCarbons && (payload.Name.Local == "enable" || payload.Name.Local == "disable"):
		s.carbonsIQ(tx, acct, st, payload, self)
	case payload.Name.Space == nsLast && payload.Name.Local == "query" && typ == "get":
		// XEP-0012 as Prosody's mod_lastactivity: seconds since the last
		// unavailable broadcast (0 if none), for the user and contacts.
		if !self && !acct.subscribedFrom(st.Attrib("from")) {
			s.bounce(tx, st, stanza.Auth, stanza.Forbidden, "")
			return
		}
		seconds := 0
		if !acct.lastGone.IsZero() {
			seconds = int(time.Since(acct.lastGone).Seconds())
		}
		r := result(st)
		r.AddChild(nsLast, "query", "seconds", strconv.Itoa(seconds)).SetText(acct.lastStatus)
		s.reply(tx, r)
	case payload.Name.Space == nsBlocking:
		s.blockingIQ(tx, acct, st, payload, self)
	case payload.Name.Space == nsPrivate && payload.Name.Local == "query":
		s.privateIQ(tx, acct, st, payload, self)
	default:
		s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
	}
}

// privateIQ implements XEP-0049 private XML storage: one element per
// namespace and name, readable and writable by the owner only.
func (s *Server) privateIQ(tx *txn, acct *account, st, q *xmlnode.Element, self bool) {
	if !self {
		s.bounce(tx, st, stanza.Cancel, stanza.Forbidden, "")
		return
	}
	items := q.Elements()
	if len(items) == 0 {
		s.bounce(tx, st, stanza.Modify, stanza.BadRequest, "")
		return
	}
	for _, it := range items {
		if it.Name.Space == "" || it.Name.Space == nsClient || it.Name.Space == nsPrivate {
			s.bounce(tx, st, stanza.Modify, stanza.NotAcceptable, "")
			return
		}
	}
	r := result(st)
	if st.Attrib("type") == "get" {
		rq := r.AddChild(nsPrivate, "query")
		for _, it := range items {
			if stored := acct.private["{"+it.Name.Space+"}"+it.Name.Local]; stored != nil {
				rq.Append(stored.Copy())
			} else {
				rq.Append(xmlnode.New(it.Name.Space, it.Name.Local))
			}
		}
	} else {
		for _, it := range items {
			if acct.private == nil {
				acct.private = map[string]*xmlnode.Element{}
			}
			acct.private["{"+it.Name.Space+"}"+it.Name.Local] = it.Copy()
		}
	}
	s.reply(tx, r)
}

// serverIQ answers an iq addressed to the server's domain.
func (s *Server) serverIQ(tx *txn, st *xmlnode.Element) {
	payload := s.requestPayload(tx, st)
	if payload == nil {
		return
	}
	typ := st.Attrib("type")
	switch {
	case unknownDiscoNode(payload, typ):
		s.bounce(tx, st, stanza.Cancel, stanza.ItemNotFound, "Node does not exist")
	case payload.Name.Space == nsPing && payload.Name.Local == "ping" && typ == "get":
		s.reply(tx, result(st))
	case payload.Name.Space == nsDiscoInfo && typ == "get" && payload.Attrib("node") == "":
		r := result(st)
		q := r.AddChild(nsDiscoInfo, "query")
		q.AddChild(nsDiscoInfo, "identity", "name", "muctest", "category", "server", "type", "im")
		for _, f := range serverFeatures {
			q.AddChild(nsDiscoInfo, "feature", "var", f)
		}
		s.reply(tx, r)
	case payload.Name.Space == nsDiscoItems && typ == "get" && payload.Attrib("node") == "":
		r := result(st)
		q := r.AddChild(nsDiscoItems, "query")
		if s.mucDomain != "" {
			q.AddChild(nsDiscoItems, "item", "jid", s.mucDomain)
		}
		s.reply(tx, r)
	case payload.Name.Space == nsVersion && typ == "get":
		r := result(st)
		q := r.AddChild(nsVersion, "query")
		q.AddChild(nsVersion, "name").SetText("muctest")
		q.AddChild(nsVersion, "version").SetText(Version)
		s.reply(tx, r)
	case payload.Name.Space == nsLast && payload.Name.Local == "query" && typ == "get":
		// XEP-0012 on a server: its uptime.
		r := result(st)
		r.AddChild(nsLast, "query", "seconds", strconv.Itoa(int(time.Since(s.started).Seconds())))
		s.reply(tx, r)
	case payload.Name.Space == nsTime && payload.Name.Local == "time" && typ == "get":
		r := result(st)
		t := r.AddChild(nsTime, "time")
		t.AddChild(nsTime, "tzo").SetText("+00:00")
		t.AddChild(nsTime, "utc").SetText(time.Now().UTC().Format("2006-01-02T15:04:05Z"))
		s.reply(tx, r)
	default:
		s.bounce(tx, st, stanza.Cancel, stanza.ServiceUnavailable, "")
	}
}

// unknownDiscoNode reports a disco#info or disco#items get for a node:
// neither the server nor an account has any, and XEP-0030 (sections 3.1
// and 4.1 error cases) answers a node that does not exist with
// item-not-found, as Prosody does, not service-unavailable.
func unknownDiscoNode(payload *xmlnode.Element, typ string) bool {
	return typ == "get" && payload.Name.Local == "query" && payload.Attrib("node") != "" &&
		(payload.Name.Space == nsDiscoInfo || payload.Name.Space == nsDiscoItems)
}

// reply routes a server-built answer to its "to".
func (s *Server) reply(tx *txn, r *xmlnode.Element) {
	to, err := jid.Parse(r.Attrib("to"))
	if err != nil {
		return
	}
	s.route(tx, r, to)
}

// newIQ builds a server-originated iq.
func newIQ(typ, id string) *xmlnode.Element {
	return xmlnode.New(c2s.NSClient, "iq", "type", typ, "id", id)
}
