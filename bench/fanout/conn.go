package fanout

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces the load client needs.
const (
	nsClient   = "jabber:client"
	nsStream   = "http://etherx.jabber.org/streams"
	nsSASL     = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsTLS      = "urn:ietf:params:xml:ns:xmpp-tls"
	nsBind     = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession  = "urn:ietf:params:xml:ns:xmpp-session"
	nsMUC      = "http://jabber.org/protocol/muc"
	nsMUCUser  = "http://jabber.org/protocol/muc#user"
	nsMUCOwner = "http://jabber.org/protocol/muc#owner"
	nsXData    = "jabber:x:data"
	// nsRoomConfig is the FORM_TYPE of the room configuration form.
	nsRoomConfig = "http://jabber.org/protocol/muc#roomconfig"
)

// conn is a lean XMPP client connection made for load: it parses stanzas
// with encoding/xml only while logging in and joining, then hands its
// buffered reader to a byte scanner for the measured phase, so the load
// generator (which shares the machine's cores with the server) spends as
// little CPU as possible per received message.
//
// The xml.Decoder is given the bufio.Reader itself; because that reader is
// an io.ByteReader the decoder does no buffering of its own, and after a
// whole stanza has been read no byte of the next one has been consumed.
type conn struct {
	nc     net.Conn
	r      *bufio.Reader
	dec    *xml.Decoder
	domain string
	jid    string // full JID after bind
}

// dial connects to addr, authenticates user with SASL PLAIN over an
// unencrypted stream and binds a resource.
func dial(ctx context.Context, dialer func(context.Context) (net.Conn, error), addr, domain, user, password string, timeout time.Duration) (*conn, error) {
	var nc net.Conn
	var err error
	if dialer != nil {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		nc, err = dialer(dctx)
		cancel()
	} else {
		nc, err = net.DialTimeout("tcp", addr, timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("fanout: dial %s: %w", addr, err)
	}
	c := &conn{nc: nc, r: bufio.NewReaderSize(nc, 16<<10), domain: domain}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	if err := c.login(user, password); err != nil {
		nc.Close()
		return nil, fmt.Errorf("fanout: login %s: %w", user, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return c, nil
}

func (c *conn) login(user, password string) error {
	features, err := c.openStream()
	if err != nil {
		return err
	}
	if tls := features.Child(nsTLS, "starttls"); tls != nil && tls.Child(nsTLS, "required") != nil {
		return errors.New("server requires STARTTLS; the load client speaks plain TCP only (configure the server without TLS)")
	}
	if !hasMechanism(features, "PLAIN") {
		return errors.New("server offers no SASL PLAIN")
	}
	creds := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	if err := c.sendRaw("<auth xmlns='" + nsSASL + "' mechanism='PLAIN'>" + creds + "</auth>"); err != nil {
		return err
	}
	res, err := c.next()
	if err != nil {
		return err
	}
	if res.Name.Local != "success" {
		return fmt.Errorf("SASL PLAIN refused: %s", res)
	}
	if features, err = c.openStream(); err != nil {
		return err
	}
	if features.Child(nsBind, "bind") == nil {
		return errors.New("server offers no resource binding")
	}
	if err := c.sendRaw("<iq type='set' id='bind'><bind xmlns='" + nsBind + "'><resource>bench</resource></bind></iq>"); err != nil {
		return err
	}
	res, err = c.waitIQ("bind")
	if err != nil {
		return err
	}
	c.jid = res.Child(nsBind, "bind").ChildText(nsBind, "jid")
	// RFC 3921 sessions: only when the server says they are not optional.
	if s := features.Child(nsSession, "session"); s != nil && s.Child(nsSession, "optional") == nil {
		if err := c.sendRaw("<iq type='set' id='sess'><session xmlns='" + nsSession + "'/></iq>"); err != nil {
			return err
		}
		if _, err := c.waitIQ("sess"); err != nil {
			return err
		}
	}
	return nil
}

// openStream sends a stream header and returns the stream features.
func (c *conn) openStream() (*xmlnode.Element, error) {
	c.dec = xml.NewDecoder(c.r)
	err := c.sendRaw("<?xml version='1.0'?><stream:stream xmlns='" + nsClient +
		"' xmlns:stream='" + nsStream + "' to='" + c.domain + "' version='1.0'>")
	if err != nil {
		return nil, err
	}
	for {
		tok, err := c.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read stream header: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Space != nsStream || se.Name.Local != "stream" {
				return nil, fmt.Errorf("unexpected %s instead of a stream header", se.Name.Local)
			}
			break
		}
	}
	f, err := c.next()
	if err != nil {
		return nil, err
	}
	if f.Name.Space != nsStream || f.Name.Local != "features" {
		return nil, fmt.Errorf("expected stream features, got %s", f)
	}
	return f, nil
}

// next reads the next top-level element of the stream.
func (c *conn) next() (*xmlnode.Element, error) {
	for {
		tok, err := c.dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("read: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			el, err := xmlnode.Read(c.dec, t.Copy(), xmlnode.Limits{MaxDepth: 64})
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", t.Name.Local, err)
			}
			if el.Name.Space == nsStream && el.Name.Local == "error" {
				return nil, fmt.Errorf("stream error: %s", el)
			}
			return el, nil
		case xml.EndElement:
			return nil, errors.New("stream closed by server")
		}
	}
}

// waitIQ reads until the IQ response with the given id, skipping (and
// dropping) anything else.
func (c *conn) waitIQ(id string) (*xmlnode.Element, error) {
	for {
		el, err := c.next()
		if err != nil {
			return nil, err
		}
		if el.Name.Local != "iq" || el.Attrib("id") != id {
			continue
		}
		if el.Attrib("type") != "result" {
			return nil, fmt.Errorf("iq %s failed: %s", id, el)
		}
		return el, nil
	}
}

func (c *conn) sendRaw(s string) error {
	if _, err := io.WriteString(c.nc, s); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

func (c *conn) close() {
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(c.nc, "</stream:stream>")
	c.nc.Close()
}

func hasMechanism(features *xmlnode.Element, name string) bool {
	m := features.Child(nsSASL, "mechanisms")
	if m == nil {
		return false
	}
	for _, e := range m.ChildrenNamed(nsSASL, "mechanism") {
		if strings.TrimSpace(e.Text()) == name {
			return true
		}
	}
	return false
}

// xmlEscape escapes s for an attribute value in single quotes or for text.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "'", "&#39;")
}
