// Package sm is XEP-0198 stream management: acknowledgements both ways
// (<r/> and <a/>) and resumption of a session whose connection dropped.
//
// A client enables it on a bound stream with <enable/> (resume='true' asks
// for resumption, max for a resumption time, capped by Module.MaxResumption)
// and is told <enabled/> with the stream's id. From then on the server
// counts the stanzas it handled from the client (answering <r/> with
// <a h='...'/>), and keeps every stanza it sent until the client
// acknowledges it, asking with <r/> every Module.RequestEvery stanzas.
//
// When the connection of a resumable stream drops, its session hibernates
// (module.UnbindingHook's veto): it stays bound, with its resource,
// presence, roster interest and MUC occupancy, and what is delivered to it
// is queued. A new stream of the same account that sends <resume/> with the
// id before binding takes the session over: it is told <resumed/> with the
// count of stanzas the server handled, and every unacknowledged stanza is
// sent again, in order, before anything new, stamped with a XEP-0203 delay
// (from the account's bare JID, at the time it was first sent) as
// Prosody's mod_smacks does. Nobody else sees anything: no
// unavailable presence goes out, the MUC keeps the occupant. A session not
// resumed within its resumption time goes offline as any other would; the
// stanzas it never acknowledged are then handled as Prosody's mod_smacks
// does: a message with a body goes to XEP-0160 offline storage, stamped
// with a XEP-0203 delay at the time it was first sent, when the session was
// the account's last; with another session bound (which may have had it
// already, through the bare JID or a carbon) its sender is told
// recipient-unavailable instead, as iq requests are. So nothing is lost
// without its sender knowing, and nothing is delivered twice.
//
// A <resume/> for a session that is not there is answered with <failed/>
// and item-not-found, carrying h when the stream ended lately (so that the
// client resends only what the server never handled); <enable/> before
// bind or twice, and <resume/> after bind, are unexpected-request.
//
// The unacknowledged queue is bounded in stanzas and bytes; a client over
// either bound is told resource-constraint and its stream closed (as
// Prosody's smacks_max_queue_size). Hibernating sessions are bounded per
// account and in bytes for the whole server (Module.MaxHibernating).
package sm

import (
	"crypto/rand"
	"encoding/xml"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/stanza"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// NS is the XEP-0198 namespace (version 3).
const NS = "urn:xmpp:sm:3"

// NSDelay is XEP-0203's, for messages handed on after a session expired.
const NSDelay = "urn:xmpp:delay"

// Defaults for zero Module fields.
const (
	// DefaultMaxResumption is Prosody's smacks_hibernation_time.
	DefaultMaxResumption = 600 * time.Second
	// DefaultMaxUnacked is Prosody's smacks_max_queue_size.
	DefaultMaxUnacked = 500
	// DefaultMaxUnackedBytes bounds what one hibernating session keeps
	// alive: 500 large stanzas, well under c2s's outbound queue bound.
	DefaultMaxUnackedBytes = 1 << 20
	// DefaultRequestEvery is how many unacknowledged stanzas make the
	// server ask for an ack. A count rather than Prosody's timer, so that
	// what goes on the wire is the same at every run.
	DefaultRequestEvery = 5
	// DefaultMaxHibernating bounds the dropped sessions one account keeps
	// for resumption (a phone, a laptop, a tablet and some to spare).
	DefaultMaxHibernating = 10
	// DefaultMaxHibernatingBytes bounds what every dropped session of the
	// server keeps queued, together.
	DefaultMaxHibernatingBytes = 32 << 20
	// DefaultMaxHibernatingTotal bounds how many dropped sessions the
	// whole server keeps waiting for resumption: each costs its session's
	// state whatever it queued (about 57 KB of heap with 3,000 of them, as
	// cmd/mucattack's sm-hibernate-flood measured), so any-password mode's
	// thousands of accounts must not each keep ten.
	DefaultMaxHibernatingTotal = 1000
)

// Module is XEP-0198. The zero value uses the defaults above and the real
// clock.
type Module struct {
	// MaxResumption is the longest a dropped session waits for its
	// client; a client's max asks for less. mucd's -sm-resume flag.
	MaxResumption time.Duration
	// MaxUnacked and MaxUnackedBytes bound the unacknowledged queue.
	MaxUnacked      int
	MaxUnackedBytes int
	// MaxHibernating bounds the sessions of one account waiting for
	// resumption, MaxHibernatingBytes what all of the server's keep
	// queued. When a session hibernating puts its account or the server
	// over one, the session that has waited longest ends; a hibernating
	// session whose deliveries put the server over its bytes ends too.
	// So many connections of one account, each dropped with a full queue,
	// cannot hold the server's memory for the resumption time.
	MaxHibernating      int
	MaxHibernatingBytes int
	// MaxHibernatingTotal bounds the sessions of every account waiting
	// for resumption together; past it the one that has waited longest
	// ends, as past MaxHibernatingBytes.
	MaxHibernatingTotal int
	// RequestEvery: ask for an ack (<r/>) when this many stanzas are
	// unacknowledged and no request is outstanding.
	RequestEvery int
	// AfterFunc runs f after d unless the returned stop is called first
	// (time.AfterFunc by default); tests give a clock of their own.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
	// Now stamps queued stanzas (time.Now by default).
	Now func() time.Time
}

// Name implements module.Module.
func (Module) Name() string { return "sm" }

// streams is the per-session value: the session's stream management state.
var streams = module.NewSessionState[ref]("sm.stream")

type ref struct{ st *state }

// server is one server's resumable streams by id.
type server struct {
	m      Module
	domain string
	mu     sync.Mutex
	byID   map[string]*state
	ended  endedLog // streams that ended lately, for <failed h/>

	// The hibernating sessions, longest waiting first, and the bytes
	// they keep queued; guarded by the router's lock.
	hib    []*state
	hbytes int
}

// notFound is the answer to a <resume/> whose session is not there (any
// more): item-not-found, with the count of stanzas the server handled when
// the stream ended lately for the same account (XEP-0198 section 5, as
// Prosody does), so that the client resends only what was lost.
func (srv *server) notFound(id, user string) *xmlnode.Element {
	f := failed("item-not-found")
	srv.mu.Lock()
	e, ok := srv.ended.get(id)
	srv.mu.Unlock()
	if ok && e.user == user {
		f.SetAttr("h", strconv.FormatUint(uint64(e.h), 10))
	}
	return f
}

// ended is what is kept of a stream after its session ended.
type ended struct {
	user string
	h    uint32
}

// endedLog keeps the last maxEnded ended streams by id (oldest forgotten
// first): a few dozen bytes each, bounded whatever clients do.
type endedLog struct {
	byID  map[string]ended
	order []string
}

const maxEnded = 1000

func (l *endedLog) add(id string, e ended) {
	if l.byID == nil {
		l.byID = map[string]ended{}
	}
	if len(l.order) >= maxEnded {
		delete(l.byID, l.order[0])
		l.order = append(l.order[:0], l.order[1:]...)
	}
	l.byID[id] = e
	l.order = append(l.order, id)
}

func (l *endedLog) get(id string) (ended, bool) {
	e, ok := l.byID[id]
	return e, ok
}

// sleep records st as hibernating and ends the sessions that have waited
// longest while its account or the server is over its bounds (count or
// bytes).
func (srv *server) sleep(c module.Context, st *state) {
	srv.hib = append(srv.hib, st)
	srv.hbytes += st.out.bytes
	acct := st.ss.Account()
	for {
		n, oldest := 0, (*state)(nil)
		for _, o := range srv.hib {
			if o.ss.Account() == acct {
				if n++; oldest == nil {
					oldest = o
				}
			}
		}
		switch {
		case n > srv.m.MaxHibernating:
		case (srv.hbytes > srv.m.MaxHibernatingBytes || len(srv.hib) > srv.m.MaxHibernatingTotal) && len(srv.hib) > 0:
			oldest = srv.hib[0]
		default:
			return
		}
		c.Unbind(oldest.ss, "too many sessions waiting for resumption")
		srv.wake(oldest) // done by unbound already; never loop on it
	}
}

// wake forgets st as hibernating (resumed or ended).
func (srv *server) wake(st *state) {
	for i, o := range srv.hib {
		if o == st {
			srv.hib = append(srv.hib[:i], srv.hib[i+1:]...)
			srv.hbytes -= st.out.bytes
			return
		}
	}
}

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	if m.MaxResumption <= 0 {
		m.MaxResumption = DefaultMaxResumption
	}
	if m.MaxUnacked <= 0 {
		m.MaxUnacked = DefaultMaxUnacked
	}
	if m.MaxUnackedBytes <= 0 {
		m.MaxUnackedBytes = DefaultMaxUnackedBytes
	}
	if m.RequestEvery <= 0 {
		m.RequestEvery = DefaultRequestEvery
	}
	if m.MaxHibernating <= 0 {
		m.MaxHibernating = DefaultMaxHibernating
	}
	if m.MaxHibernatingBytes <= 0 {
		m.MaxHibernatingBytes = DefaultMaxHibernatingBytes
	}
	if m.MaxHibernatingTotal <= 0 {
		m.MaxHibernatingTotal = DefaultMaxHibernatingTotal
	}
	if m.AfterFunc == nil {
		m.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	srv := &server{m: m, domain: r.Domain(), byID: map[string]*state{}}
	r.StreamFeature(module.StreamFeature{Offer: func(c2sapi.Session) *xmlnode.Element {
		return xmlnode.New(NS, "sm")
	}})
	name := func(local string) xml.Name { return xml.Name{Space: NS, Local: local} }
	r.StreamElement(module.StreamElement{Name: name("enable"), Stage: c2sapi.Bound, Handle: srv.enable})
	r.StreamElement(module.StreamElement{Name: name("enable"), Stage: c2sapi.Authenticated, Handle: srv.unexpected})
	r.StreamElement(module.StreamElement{Name: name("resume"), Stage: c2sapi.Authenticated, Handle: srv.resume})
	r.StreamElement(module.StreamElement{Name: name("resume"), Stage: c2sapi.Bound, Handle: srv.unexpected})
	r.StreamElement(module.StreamElement{Name: name("r"), Stage: c2sapi.Bound, Handle: srv.request})
	r.StreamElement(module.StreamElement{Name: name("a"), Stage: c2sapi.Bound, Handle: srv.ack})
	r.Bind2Feature(module.Bind2Feature{Var: NS, Name: name("enable"), Handle: srv.enableInline})
	r.SASL2Feature(module.SASL2Feature{Name: name("resume"), Handle: srv.resumeInline,
		Offer: func(c2sapi.Session) *xmlnode.Element { return xmlnode.New(NS, "sm") }})
	r.OnSessionUnbinding(module.After, srv.unbinding)
	r.OnSessionUnbound(module.After, srv.unbound)
	r.OnClose(srv.close)
	return nil
}

// state is one stream-managed session. Guarded by the router's lock,
// except in (inMu).
type state struct {
	srv  *server
	ss   module.Stream
	next c2sapi.Handler // what the session's stanzas went to before <enable/>
	id   string         // resumption id; "" when not resumable
	max  time.Duration

	// in counts the stanzas handled from the client (its h). inMu is
	// held from counting a stanza to its routing being done, so that the
	// count a resumption reports is exactly what was routed; it is taken
	// before the router's lock, never after.
	inMu sync.Mutex
	in   atomic.Uint32 // written under inMu, read anywhere
	out  *queue

	cur     *link // the connection serving the session; nil while hibernating
	closing bool  // cur's connection ended and the router is asked to unbind
	reason  string
	stop    func() bool // the hibernation timer
	gen     int         // which hibernation the timer is for
	dead    bool        // unbound: no resumption any more
}

// link is the c2sapi.Handler of one connection of a stream-managed session:
// it counts the stanzas it hands to the router, and tells the router of
// the end of the connection only while the session is still its own.
type link struct {
	st       *state
	cs       c2sapi.Session
	next     c2sapi.Handler // the router's session
	detached bool           // resumed elsewhere: drop what comes (st.inMu)
}

func (l *link) HandleStanza(el *xmlnode.Element) {
	l.st.inMu.Lock()
	defer l.st.inMu.Unlock()
	if l.detached {
		// The session was resumed on another connection, which was told
		// what had been handled: this one is too late.
		return
	}
	l.st.in.Add(1)
	l.next.HandleStanza(el)
}

func (st *state) handled() uint32 { return st.in.Load() }

func (l *link) Close(reason string) {
	mine := false
	l.st.ss.Do(func(module.Context) {
		if l.st.cur == l && !l.st.dead {
			l.st.closing, l.st.reason, mine = true, reason, true
		}
	})
	if mine {
		l.next.Close(reason) // the router asks unbinding, below
	}
}

func failed(cond string) *xmlnode.Element {
	f := xmlnode.New(NS, "failed")
	f.AddChild(stanza.NSError, cond)
	return f
}

// unexpected answers <enable/> before bind and <resume/> after it
// (XEP-0198 sections 3 and 5).
func (srv *server) unexpected(cs c2sapi.Session, _ *xmlnode.Element) error {
	return cs.SendElement(failed("unexpected-request"))
}

func (srv *server) enable(cs c2sapi.Session, el *xmlnode.Element) error {
	h := cs.Handler()
	if _, ok := h.(*link); ok {
		return cs.SendElement(failed("unexpected-request"))
	}
	ss := module.StreamOf(h)
	if ss == nil {
		return cs.SendElement(failed("feature-not-implemented"))
	}
	var l *link
	ss.Do(func(module.Context) {
		var en *xmlnode.Element
		l, en = srv.start(cs, ss, h, el)
		// Under the lock, so that it goes before any counted stanza.
		_ = cs.SendElement(en)
	})
	cs.SetHandler(l)
	return nil
}

// enableInline is <enable/> inside XEP-0386's <bind/>: the session was
// just bound and the router's lock is held, so that <enabled/>, which
// goes inside the <success/>, is before any counted stanza.
func (srv *server) enableInline(cs c2sapi.Session, h c2sapi.Handler, el *xmlnode.Element) *xmlnode.Element {
	ss := module.StreamOf(h)
	if ss == nil {
		return failed("feature-not-implemented")
	}
	l, en := srv.start(cs, ss, h, el)
	cs.SetHandler(l)
	return en
}

// start makes the bound session ss, whose stanzas went to h, stream-managed
// as el (an <enable/>) asks, and returns the link its stanzas go to now
// and the <enabled/> to answer with. The router's lock is held.
func (srv *server) start(cs c2sapi.Session, ss module.Stream, h c2sapi.Handler, el *xmlnode.Element) (*link, *xmlnode.Element) {
	st := &state{srv: srv, ss: ss, next: h}
	if v := el.Attrib("resume"); v == "true" || v == "1" {
		st.max = srv.m.MaxResumption
		if n, err := strconv.ParseUint(el.Attrib("max"), 10, 32); err == nil && n > 0 && time.Duration(n)*time.Second < st.max {
			st.max = time.Duration(n) * time.Second
		}
		st.id = strings.ToLower(rand.Text())
	}
	l := &link{st: st, cs: cs, next: h}
	streams.Use(ss).st = st
	st.cur = l
	st.out = &queue{st: st, inner: cs}
	insert(ss, st.out)
	en := xmlnode.New(NS, "enabled")
	if st.id != "" {
		en.SetAttr("id", st.id).SetAttr("resume", "true").SetAttr("max", strconv.Itoa(int(st.max/time.Second)))
		srv.mu.Lock()
		srv.byID[st.id] = st
		srv.mu.Unlock()
	}
	return l, en
}

// insert puts q under every module.Layer on ss's Conn: what XEP-0352
// holds back is not sent, so not counted.
func insert(ss module.Stream, q *queue) {
	c := ss.Conn()
	l, ok := c.(module.Layer)
	if !ok {
		ss.SetConn(q)
		return
	}
	for {
		inner, ok := l.Inner().(module.Layer)
		if !ok {
			l.SetInner(q)
			return
		}
		l = inner
	}
}

func (srv *server) request(cs c2sapi.Session, _ *xmlnode.Element) error {
	l, ok := cs.Handler().(*link)
	if !ok {
		return c2sapi.StreamError(stream.UnsupportedStanzaType, "stream management is not enabled")
	}
	cs.SendRaw(ackBytes(l.st.handled()))
	return nil
}

func ackBytes(h uint32) []byte {
	return []byte(`<a xmlns='` + NS + `' h='` + strconv.FormatUint(uint64(h), 10) + `'/>`)
}

func parseH(v string) (uint32, bool) {
	n, err := strconv.ParseUint(v, 10, 32)
	return uint32(n), err == nil
}

func (srv *server) ack(cs c2sapi.Session, el *xmlnode.Element) error {
	l, ok := cs.Handler().(*link)
	if !ok {
		return c2sapi.StreamError(stream.UnsupportedStanzaType, "stream management is not enabled")
	}
	h, ok := parseH(el.Attrib("h"))
	if !ok {
		return c2sapi.StreamError(stream.InvalidXML, "<a/> needs a numeric h")
	}
	var err error
	l.st.inMu.Lock()
	defer l.st.inMu.Unlock()
	if l.detached {
		return nil // resumed elsewhere: this connection's acks are stale
	}
	l.st.ss.Do(func(module.Context) {
		if !l.st.out.ack(h) {
			err = c2sapi.StreamError(stream.UndefinedCondition, "handled-count-too-high: the client acknowledged more stanzas than the server sent")
		}
	})
	return err
}

func (srv *server) resume(cs c2sapi.Session, el *xmlnode.Element) error {
	if f := srv.takeOver(cs, el, func(resumed *xmlnode.Element) { cs.SendRaw(resumed.AppendTo(nil, stanza.NSClient)) }); f != nil {
		return cs.SendElement(f)
	}
	return nil
}

// resumeInline is <resume/> inline in XEP-0388's <authenticate/>: the
// <resumed/> goes inside the <success/>, which names the resumed session's
// full JID; a <failed/> goes there too and the login goes on (XEP-0386's
// bind, when the client asked for it, binds a new session).
func (srv *server) resumeInline(cs c2sapi.Session, el, success *xmlnode.Element) (bool, error) {
	f := srv.takeOver(cs, el, func(resumed *xmlnode.Element) {
		if id := success.Child(c2sapi.NSSASL2, "authorization-identifier"); id != nil {
			id.SetText(cs.JID().String())
		}
		success.Append(resumed)
		cs.SendRaw(success.AppendTo(nil, stanza.NSClient))
	})
	if f != nil {
		success.Append(f)
		return false, nil
	}
	return true, nil
}

// takeOver moves the session el (a <resume/>) names to cs, an
// authenticated stream of the same account, and calls send with the
// <resumed/> once cs carries it, under the router's lock and before the
// stanzas the client never acknowledged are sent again. It returns the
// <failed/> to answer with when the session cannot be resumed.
func (srv *server) takeOver(cs c2sapi.Session, el *xmlnode.Element, send func(resumed *xmlnode.Element)) *xmlnode.Element {
	h, ok := parseH(el.Attrib("h"))
	if !ok || el.Attrib("previd") == "" {
		return failed("bad-request")
	}
	srv.mu.Lock()
	st := srv.byID[el.Attrib("previd")]
	srv.mu.Unlock()
	if st == nil || st.ss.JID().Localpart() != cs.User() {
		return srv.notFound(el.Attrib("previd"), cs.User())
	}
	var answer *xmlnode.Element
	var old *link
	gone := false
	// Held across the resumption: the old connection's reader cannot
	// route a stanza between the h we report and the switch.
	st.inMu.Lock()
	defer st.inMu.Unlock()
	st.ss.Do(func(module.Context) {
		if st.dead || st.out.overflowed {
			// Ended meanwhile (srv.ended knows it now), or ending for
			// holding too much.
			gone = true
			return
		}
		if !st.out.canAck(h) {
			answer = failed("undefined-condition")
			return
		}
		if st.cur == nil {
			srv.wake(st) // before the ack changes what it keeps
		}
		st.out.ack(h)
		old = st.cur
		if old != nil {
			old.detached = true
		}
		l := &link{st: st, cs: cs, next: st.next}
		cs.Adopt(st.ss.JID(), l)
		send(xmlnode.New(NS, "resumed", "previd", st.id, "h", strconv.FormatUint(uint64(st.in.Load()), 10)))
		st.cur, st.closing = l, false
		st.out.attach(cs)
		if st.stop != nil {
			st.stop()
			st.stop = nil
		}
		st.gen++
	})
	if answer != nil {
		return answer
	}
	if gone {
		return srv.notFound(el.Attrib("previd"), cs.User())
	}
	if old != nil {
		// The client came back before its old connection was seen to
		// drop: that connection ends, and its Close is ignored (link).
		old.cs.CloseWithError(stream.Conflict, "Replaced by a resumed stream")
	}
	return nil
}

// unbinding keeps a resumable session whose connection dropped
// (hibernation), and a session whose old connection's end raced with its
// resumption.
func (srv *server) unbinding(c module.Context, s module.Session, reason string) bool {
	r := streams.Get(s)
	if r == nil || r.st == nil {
		return false
	}
	st := r.st
	if !st.closing {
		return st.cur != nil // resumed meanwhile: not this connection's session any more
	}
	st.closing = false
	if st.id == "" || st.out.overflowed || !lost(reason) {
		return false
	}
	st.cur = nil
	st.out.attach(nil)
	st.gen++
	gen := st.gen
	defer srv.sleep(c, st)
	st.stop = srv.m.AfterFunc(st.max, func() {
		st.ss.Do(func(c module.Context) {
			if st.gen == gen && st.cur == nil && !st.dead {
				c.Unbind(st.ss, st.reason)
			}
		})
	})
	return true
}

// lost reports whether a session ended because its connection was lost
// (c2s's reasons for a failed read or write, and for a peer that went
// silent), the case resumption is for. A closing handshake ("") ends the
// session, as does a stream error the server sent (XEP-0198 section 5).
func lost(reason string) bool {
	return reason == "connection closed" || reason == "connection-timeout"
}

// unbound ends a stream-managed session for good: no resumption, and the
// stanzas its client never acknowledged are handed on (package doc).
func (srv *server) unbound(c module.Context, s module.Session) {
	r := streams.Get(s)
	if r == nil || r.st == nil || r.st.dead {
		return
	}
	st := r.st
	st.dead = true
	if st.stop != nil {
		st.stop()
		st.stop = nil
	}
	if st.id != "" {
		srv.mu.Lock()
		delete(srv.byID, st.id)
		srv.ended.add(st.id, ended{user: s.JID().Localpart(), h: st.handled()})
		srv.mu.Unlock()
	}
	if st.cur == nil {
		srv.wake(st)
	}
	items := st.out.drain()
	bare := s.JID().Bare().String()
	last := true // no other session of the account is bound
	for range s.Account().Sessions() {
		last = false
		break
	}
	for _, it := range items {
		srv.handOn(c, bare, last, it)
	}
}

// handOn deals with one unacknowledged stanza of a session gone for good,
// as Prosody's mod_smacks does. A chat or normal message with a body goes
// to offline storage when the session was the account's last one (it is
// routed to the account, which has no resource left to take it); with
// another session bound, which may have had it already (a message to the
// bare JID, a carbon), its sender is told recipient-unavailable rather
// than it being delivered twice. An iq request is answered with
// recipient-unavailable. Anything else is dropped (groupchat, which the
// room keeps, chat states, carbons, presence).
func (srv *server) handOn(c module.Context, bare string, last bool, it item) {
	st, err := parseStanza(it.b)
	if err != nil {
		return
	}
	typ := st.Attrib("type")
	switch st.Name.Local {
	case "message":
		if (typ != "" && typ != "chat" && typ != "normal") || st.Child(stanza.NSClient, "body") == nil {
			return
		}
		if !last {
			c.Bounce(st, stanza.Cancel, stanza.RecipientUnavailable, "")
			return
		}
		addDelay(st, bare, it.at)
		c.Route(st)
	case "iq":
		if typ == "get" || typ == "set" {
			c.Bounce(st, stanza.Cancel, stanza.RecipientUnavailable, "")
		}
	}
}

// addDelay stamps st, unless it carries a delay already, with the time it
// was first sent, from the session's bare JID (as Prosody's mod_smacks
// does for the stanzas it queues).
func addDelay(st *xmlnode.Element, from string, at time.Time) {
	if st.Name.Local != "iq" && st.Child(NSDelay, "delay") == nil {
		st.AddChild(NSDelay, "delay", "from", from, "stamp", at.UTC().Format("2006-01-02T15:04:05Z"))
	}
}

// delayed returns b, a stanza sent at "at" and not acknowledged, as it is
// sent again on resumption: with a XEP-0203 delay (addDelay), so that the
// client can tell it is not new.
func (srv *server) delayed(st *state, b []byte, at time.Time) []byte {
	el, err := parseStanza(b)
	if err != nil || el.Name.Local == "iq" || el.Child(NSDelay, "delay") != nil {
		return b
	}
	addDelay(el, st.ss.JID().Bare().String(), at)
	return el.AppendTo(nil, stanza.NSClient)
}

func parseStanza(b []byte) (*xmlnode.Element, error) {
	root, err := xmlnode.Parse(`<x xmlns='` + stanza.NSClient + `'>` + string(b) + `</x>`)
	if err != nil {
		return nil, err
	}
	els := root.Elements()
	if len(els) != 1 {
		return nil, errNotOne
	}
	return els[0], nil
}

type errString string

func (e errString) Error() string { return string(e) }

const errNotOne = errString("sm: a queued item is not one stanza")

// close stops the timers of hibernating sessions when the server closes.
func (srv *server) close() {
	srv.mu.Lock()
	sts := make([]*state, 0, len(srv.byID))
	for _, st := range srv.byID {
		sts = append(sts, st)
	}
	srv.mu.Unlock()
	for _, st := range sts {
		st.ss.Do(func(module.Context) {
			if st.stop != nil {
				st.stop()
				st.stop = nil
			}
		})
	}
}

// Unwrap implements module.Unwrapper.
func (l *link) Unwrap() c2sapi.Handler { return l.next }
