package servertest

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// StreamHeader is a correct client stream header for the domain
// "localhost", the one a server from New serves by default.
const StreamHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`

// RawTimeout is the deadline DialRaw sets on the connection. It only turns
// a hung server into a failed test instead of a hung one; no test should
// rely on it for synchronisation.
const RawTimeout = 20 * time.Second

// Raw is a deliberately dumb XMPP client connection for wire-level tests:
// it writes exactly the bytes it is given and reads top-level elements one
// by one, so a test sees what the server really sends (stream errors,
// SASL failures, the order of stanzas) and can send what a well-behaved
// client library would refuse to (malformed XML, stanzas before
// authentication, oversized payloads). Use the client package for tests
// that only need a working session.
//
// Methods that can fail the test (all but TryNext) call t.Fatalf, so they
// must be called from the test's goroutine.
type Raw struct {
	// Conn is the connection to the server. A test may write to it
	// directly, close it abruptly, or replace it (for example with a
	// tls.Client after <proceed/>) and then call Restart.
	Conn net.Conn
	// Dec reads Conn. Tests that need token-level access (a stream header
	// in the middle of a read) may use it; Restart replaces it.
	Dec *xml.Decoder
	// JID is the full JID bound by Login, "" before.
	JID string

	t testing.TB
}

// DialRaw connects to srv, closes the connection when the test ends and
// sets a RawTimeout deadline on it. Nothing is sent yet.
func DialRaw(t testing.TB, srv *server.Server) *Raw {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatalf("servertest: dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(RawTimeout))
	return &Raw{Conn: conn, Dec: xml.NewDecoder(conn), t: t}
}

// Send writes s to the connection as is.
func (r *Raw) Send(s string) {
	r.t.Helper()
	if _, err := io.WriteString(r.Conn, s); err != nil {
		r.t.Fatalf("servertest: write: %v", err)
	}
}

// Restart starts a new decoder on Conn, as a client does when the stream
// restarts after SASL success or STARTTLS: the server's next stream header
// opens a new document.
func (r *Raw) Restart() {
	r.Dec = xml.NewDecoder(r.Conn)
}

// ReadHeader reads the server's stream header and fails the test if
// anything else comes first.
func (r *Raw) ReadHeader() {
	r.t.Helper()
	for {
		tok, err := r.Dec.Token()
		if err != nil {
			r.t.Fatalf("servertest: reading the server's stream header: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "stream" {
				r.t.Fatalf("servertest: want a stream header, got <%s>", se.Name.Local)
			}
			return
		}
	}
}

// Open sends header (usually StreamHeader), reads the server's stream
// header and returns its stream features, failing the test when the server
// answers anything else.
func (r *Raw) Open(header string) *xmlnode.Element {
	r.t.Helper()
	r.Send(header)
	r.ReadHeader()
	f := r.Next()
	if f.Name.Local != "features" {
		r.t.Fatalf("servertest: want stream features, got %s", f)
	}
	return f
}

// Next reads the next top-level element and fails the test on any error,
// including the end of the stream.
func (r *Raw) Next() *xmlnode.Element {
	r.t.Helper()
	el, err := r.TryNext()
	if err != nil {
		r.t.Fatalf("servertest: read: %v", err)
	}
	return el
}

// TryNext reads the next top-level element. The server's </stream:stream>
// is io.EOF; a closed or reset connection is the decoder's error. It does
// not touch the test, so it may be called from any goroutine.
func (r *Raw) TryNext() (*xmlnode.Element, error) {
	el, err := xmlnode.ReadNext(r.Dec, xmlnode.Limits{})
	if errors.Is(err, xmlnode.ErrEnd) {
		return nil, io.EOF
	}
	return el, err
}

// Plain sends a SASL PLAIN <auth/> for user and pass and returns the
// server's answer (<success/>, <failure/> or whatever else it sends).
func (r *Raw) Plain(user, pass string) *xmlnode.Element {
	r.t.Helper()
	r.Send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` +
		base64.StdEncoding.EncodeToString([]byte("\x00"+user+"\x00"+pass)) + `</auth>`)
	return r.Next()
}

// Login opens the stream, authenticates user@localhost with PLAIN, restarts
// the stream and binds resource (the server generates one when it is "").
// It sets JID and returns r, leaving a stream ready for stanzas; no initial
// presence is sent.
func (r *Raw) Login(user, pass, resource string) *Raw {
	r.t.Helper()
	r.Open(StreamHeader)
	if a := r.Plain(user, pass); a.Name.Local != "success" {
		r.t.Fatalf("servertest: auth %s: got %s", user, a)
	}
	r.Restart()
	r.Open(StreamHeader)
	res := ""
	if resource != "" {
		res = "<resource>" + resource + "</resource>"
	}
	r.Send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>" + res + "</bind></iq>")
	b := r.Next()
	const nsBind = "urn:ietf:params:xml:ns:xmpp-bind"
	if bind := b.Child(nsBind, "bind"); bind != nil {
		r.JID = bind.ChildText(nsBind, "jid")
	}
	if r.JID == "" {
		r.t.Fatalf("servertest: bind: got %s", b)
	}
	return r
}

// Close performs the closing handshake: it sends </stream:stream>, reads
// (and drops) everything up to the server's own </stream:stream> or the
// end of the connection, then closes Conn.
func (r *Raw) Close() {
	r.t.Helper()
	r.Send("</stream:stream>")
	for {
		if _, err := r.TryNext(); err != nil {
			break
		}
	}
	_ = r.Conn.Close()
}
