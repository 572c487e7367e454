package c2s

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// failNegotiation reports err (a stream error if it is one) and closes the
// connection; nothing is bound yet, so there is nothing to route.
func (s *Session) failNegotiation(err error) {
	var se *streamErr
	switch {
	case errors.As(err, &se):
		s.log.Info("c2s: negotiation failed", "err", err)
		_, _ = s.conn.Write(streamErrorBytes(se.cond, se.text))
	case errors.Is(err, errPeerClosed):
		_, _ = s.conn.Write([]byte("</stream:stream>"))
	default:
		s.log.Debug("c2s: connection ended during negotiation", "err", err)
	}
	_ = s.conn.Close()
}

// readHeader reads the client's stream header and answers with ours. Any
// stream error found here is reported after our header, as RFC 6120 section
// 4.9.1.1 requires.
func (s *Session) readHeader() error {
	s.in.reset(s.stanzaLimit())
	if err := s.awaitMarkup(); err != nil {
		var se *streamErr
		if errors.As(err, &se) {
			s.writeHeader()
		}
		return err
	}
	if t, ok := s.headerFast(); ok {
		if err := s.checkHeader(t); err != nil {
			s.writeHeader()
			return err
		}
		return nil
	}
	if s.dec == nil {
		s.resetDecoder()
	}
	for {
		tok, err := s.dec.Token()
		if err != nil {
			err = classify(err)
			var se *streamErr
			if errors.As(err, &se) {
				s.writeHeader()
			}
			return err
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" {
				s.writeHeader()
				return serr(stream.RestrictedXML, "")
			}
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				s.writeHeader()
				return serr(stream.NotWellFormed, "text before the stream header")
			}
		case xml.StartElement:
			if err := s.checkHeader(t); err != nil {
				s.writeHeader()
				return err
			}
			// A good header: ours goes out with the features, in one
			// write (negotiate calls writeFeatures next).
			return nil
		default:
			s.writeHeader()
			return serr(stream.RestrictedXML, "")
		}
	}
}

func (s *Session) checkHeader(t xml.StartElement) error {
	if t.Name.Local != "stream" || t.Name.Space != NSStream {
		return serr(stream.InvalidNamespace, "expected a stream in "+NSStream)
	}
	if len(t.Attr) > s.limits.MaxAttrs {
		return serr(stream.PolicyViolation, "too many attributes in the stream header")
	}
	var ns, to string
	s.declared = s.declared[:0]
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			s.declared = append(s.declared, a.Value)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			ns = a.Value
			s.declared = append(s.declared, a.Value)
		case a.Name.Space == "" && a.Name.Local == "to":
			to = a.Value
		}
	}
	if len(s.declared) > s.limits.MaxHeaderNamespaces {
		s.declared = nil
		return serr(stream.PolicyViolation, "too many namespace declarations in the stream header")
	}
	if ns != NSClient {
		return serr(stream.InvalidNamespace, "the default namespace must be "+NSClient)
	}
	s.header = replayHeader(t)
	s.setStream(t)
	if to != "" && !strings.EqualFold(to, s.cfg.Domain) {
		return serr(stream.HostUnknown, "this server serves "+s.cfg.Domain)
	}
	return nil
}

func (s *Session) writeHeader() {
	_, _ = s.conn.Write(s.appendHeader(nil))
}

// appendHeader appends our stream header to b.
func (s *Session) appendHeader(b []byte) []byte {
	b = append(b, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='`+NSStream+`' id='`...)
	b = append(b, s.id...)
	b = append(b, strings.ToLower(rand.Text()[:8])...)
	b = append(b, `' from='`...)
	b = append(b, escape(s.cfg.Domain)...)
	return append(b, `' version='1.0' xml:lang='en'>`...)
}

func escape(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}

// write sends an element directly during negotiation (no writer yet).
func (s *Session) write(el *xmlnode.Element) error {
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", el.String())
	}
	_, err := s.conn.Write(el.AppendTo(nil, NSClient))
	if err != nil {
		return fmt.Errorf("c2s: write: %w", err)
	}
	return nil
}

// negotiate runs the RFC 6120 stream negotiation up to a bound resource.
func (s *Session) negotiate() error {
	for {
		if err := s.readHeader(); err != nil {
			return err
		}
		if err := s.writeFeatures(s.features(), true); err != nil {
			return err
		}
		restart, err := s.negotiateStep()
		if err != nil {
			return err
		}
		if !restart {
			return nil // bound
		}
	}
}

// writeFeatures writes <stream:features> with the conventional prefix,
// which some clients match literally, after our stream header when header
// is set: readHeader found the client's good and left ours to this write.
// A XEP-0388 success without Bind2 is followed by features without a
// header, as there is no stream restart.
func (s *Session) writeFeatures(f *xmlnode.Element, header bool) error {
	if s.cfg.Trace {
		s.log.Debug("c2s: out", "xml", f.String())
	}
	if s.holding && !s.secure {
		// Straight into what is held (the usual case; under TLS the bytes
		// must go through it): no buffer of its own.
		s.held = s.appendFeatures(s.heldBuf(), f, header)
		return nil
	}
	if _, err := s.conn.Write(s.appendFeatures(make([]byte, 0, 512), f, header)); err != nil {
		return fmt.Errorf("c2s: write: %w", err)
	}
	return nil
}

// appendFeatures appends our stream header, when header is set, and
// <stream:features> with the children of f to b.
func (s *Session) appendFeatures(b []byte, f *xmlnode.Element, header bool) []byte {
	if header {
		b = s.appendHeader(b)
	}
	b = append(b, "<stream:features>"...)
	for _, n := range f.Children { // not Elements, which makes a list
		if c, ok := n.(*xmlnode.Element); ok {
			b = c.AppendTo(b, NSStream)
		}
	}
	return append(b, "</stream:features>"...)
}

func (s *Session) features() *xmlnode.Element {
	f := xmlnode.New(NSStream, "features")
	switch {
	case s.user == "":
		if s.cfg.TLS != nil && !s.secure {
			tls := f.AddChild(NSTLS, "starttls")
			if s.cfg.RequireTLS {
				tls.AddChild(NSTLS, "required")
			}
			if s.cfg.RequireTLS {
				return f
			}
		}
		m := f.AddChild(NSSASL, "mechanisms")
		for _, name := range s.cfg.mechanisms() {
			m.AddChild(NSSASL, "mechanism").SetText(name)
		}
		if s.cfg.SASL2 {
			f.Append(s.sasl2Feature()) // XEP-0388, same mechanisms
		}
		// The host's pre-authentication features: XEP-0077 <register/>.
		for _, feat := range s.cfg.Features {
			if !feat.PreAuth {
				continue
			}
			if el := feat.Offer(s); el != nil {
				f.Append(el)
			}
		}
	default:
		f.AddChild(NSBind, "bind")
		// The host's features: legacy session, roster versioning...
		for _, feat := range s.cfg.Features {
			if feat.PreAuth {
				continue
			}
			if el := feat.Offer(s); el != nil {
				f.Append(el)
			}
		}
	}
	return f
}

// negotiateStep handles elements after one set of features until the stream
// restarts (true) or a resource is bound (false).
func (s *Session) negotiateStep() (restart bool, err error) {
	for {
		el, err := s.next()
		if err != nil {
			return false, err
		}
		switch {
		case el.Name.Space == NSTLS && el.Name.Local == "starttls" && s.user == "" && !s.secure && s.cfg.TLS != nil:
			return true, s.startTLS()
		case el.Name.Space == NSSASL2 && el.Name.Local == "authenticate" && s.cfg.SASL2:
			if s.cfg.RequireTLS && !s.secure {
				return false, serr(stream.PolicyViolation, "STARTTLS is required")
			}
			if s.user != "" {
				return false, serr(stream.PolicyViolation, "already authenticated")
			}
			if err := s.checkAuthRate(); err != nil {
				return false, err
			}
			bound, err := s.sasl2(el)
			if err != nil || bound {
				return false, err
			}
			// Failed (the client may retry), or authenticated without
			// Bind2: no stream restart (XEP-0388), the client binds next.
		case el.Name.Space == NSSASL && el.Name.Local == "auth" && s.user == "":
			if s.cfg.RequireTLS && !s.secure {
				return false, serr(stream.PolicyViolation, "STARTTLS is required")
			}
			if err := s.checkAuthRate(); err != nil {
				return false, err
			}
			ok, err := s.sasl(el)
			if err != nil {
				return false, err
			}
			if ok {
				s.newStream()
				return true, nil
			}
		case el.Name.Space == NSClient && el.Name.Local == "iq" && s.user != "" && el.Child(NSBind, "bind") != nil:
			done, err := s.bind(el)
			if err != nil || done {
				return false, err
			}
		case s.user != "" && el.Name.Space == NSClient && el.Name.Local == "iq" && el.Attrib("type") != "result" && el.Attrib("type") != "error":
			// Anything else before bind (e.g. an early session iq): RFC
			// 6120 section 7.1 says the client must bind first.
			if err := s.write(errorReply(el, "wait", "not-allowed")); err != nil {
				return false, err
			}
		case s.user == "" && !(s.cfg.RequireTLS && !s.secure) && s.cfg.elementHandler(el, Unauthenticated) != nil:
			if err := s.cfg.elementHandler(el, Unauthenticated).Handle(s, el); err != nil {
				return false, err
			}
		case s.user != "" && s.cfg.elementHandler(el, Authenticated) != nil:
			if err := s.cfg.elementHandler(el, Authenticated).Handle(s, el); err != nil {
				return false, err
			}
			if s.handler != nil {
				return false, nil // Adopt: an existing session resumed
			}
		default:
			return false, serr(stream.NotAuthorized, "authenticate and bind first")
		}
	}
}

func (s *Session) startTLS() error {
	if err := s.write(xmlnode.New(NSTLS, "proceed")); err != nil {
		return err
	}
	tc := tls.Server(s.conn, s.cfg.TLS)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("c2s: tls handshake: %w", err)
	}
	s.conn = tc
	s.secure = true
	s.setReader(tc)
	return nil
}

// bind handles a resource binding request (RFC 6120 section 7). It returns
// true once bound.
func (s *Session) bind(iq *xmlnode.Element) (bool, error) {
	if iq.Attrib("type") != "set" {
		return false, s.write(errorReply(iq, "modify", "bad-request"))
	}
	res := strings.TrimSpace(iq.Child(NSBind, "bind").ChildText(NSBind, "resource"))
	if res == "" {
		res = strings.ToLower(rand.Text()[:12])
	}
	if len(res) > jidcheck.MaxPartBytes {
		// Refused before resourceprep, whose cost grows with the input.
		return false, s.write(errorReply(iq, "modify", "bad-request"))
	}
	full, err := jidcheck.NewFast(s.user, s.cfg.Domain, res)
	if err != nil {
		return false, s.write(errorReply(iq, "modify", "bad-request"))
	}
	reply := xmlnode.New(NSClient, "iq", "type", "result", "id", iq.Attrib("id"))
	reply.AddChild(NSBind, "bind").AddChild(NSBind, "jid").SetText(full.String())
	refused, err := s.bindAs(full, reply, nil)
	if refused != nil {
		// Still holding: the error joins what was held.
		return false, s.write(stanzaerr.Reply(iq, refused.Type, refused.Condition, refused.Text, ""))
	}
	return err == nil, err
}

// bindAs binds the session to full with reply as the first thing queued
// (the bind result, or XEP-0388's <success/> with XEP-0386's <bound/>).
// inline, when non-nil and the Host is an InlineHost, runs as the session
// is bound, before reply is queued (Bind2's inline features). A refusal
// of the Host leaves the session authenticated and unbound, and is
// returned for the caller to answer; any other error ends the stream.
func (s *Session) bindAs(full jid.JID, reply *xmlnode.Element, inline func(Handler)) (*BindRefused, error) {
	s.logJID(full)
	if s.secure {
		// Under TLS what is held is records already, to be written as
		// they are, not through TLS as the writer writes the queue: they
		// go out now, before the writer can run.
		if err := s.endHold(); err != nil {
			return nil, fmt.Errorf("c2s: write: %w", err)
		}
	}
	// What negotiation held (our headers and features, <success/>) stays
	// held while Host.Bind queues the result: the writer does not start
	// while the session holds (startWriterLocked), and releaseHeldLocked
	// puts the held bytes in front of the queue, so that the whole login
	// answer goes out in one write.
	s.mu.Lock()
	s.jid = full
	s.bound = true
	s.mu.Unlock()
	var h Handler
	var err error
	if ih, ok := s.cfg.Host.(InlineHost); ok && inline != nil {
		h, err = ih.BindInline(s, full, reply, inline)
	} else {
		h, err = s.cfg.Host.Bind(s, full, reply)
	}
	if refused := (*BindRefused)(nil); errors.As(err, &refused) {
		s.mu.Lock()
		s.jid, s.bound = jid.JID{}, false
		s.mu.Unlock()
		return refused, nil
	}
	if err != nil {
		s.mu.Lock()
		s.queued, s.qbytes, s.out = 0, 0, nil
		s.settleQueueLocked()
		s.closing = true // nothing more is queued: no writer starts
		s.holding = false
		s.mu.Unlock()
		ferr := s.flushHeld()
		s.mu.Lock()
		s.startWriterLocked()
		s.mu.Unlock()
		<-s.wdone
		if ferr != nil {
			return nil, fmt.Errorf("c2s: write: %w", ferr)
		}
		return nil, fmt.Errorf("c2s: bind: %w", err)
	}
	s.mu.Lock()
	if s.handler == nil {
		s.handler = h // an inline feature may have put its own in front (XEP-0198)
	}
	s.releaseHeldLocked()
	s.mu.Unlock()
	return nil, nil
}

// errorReply builds the stanza error answer to st (package stanzaerr).
func errorReply(st *xmlnode.Element, typ, cond string) *xmlnode.Element {
	return stanzaerr.Reply(st, typ, cond, "", "")
}
