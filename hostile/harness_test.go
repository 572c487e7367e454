package hostile_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/client"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces the tests look for.
const (
	nsStreams = "urn:ietf:params:xml:ns:xmpp-streams"
	nsStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsMUC     = "http://jabber.org/protocol/muc"
	nsMUCUser = "http://jabber.org/protocol/muc#user"
	nsMUCAdm  = "http://jabber.org/protocol/muc#admin"
	nsMUCOwn  = "http://jabber.org/protocol/muc#owner"
)

// header is a correct client stream header for localhost.
const header = servertest.StreamHeader

// password is every configured account's password.
const password = "secret"

// accounts are the fixed accounts of the test server; the witnesses use
// two of them and the attackers the rest.
var accounts = map[string]string{
	"alice": password, "bob": password, "mallory": password, "eve": password, "owner": password,
}

// testTimeout only turns a hung server into a failure; no test relies on it
// for synchronisation.
const testTimeout = 20 * time.Second

// env is one server with two well-behaved witnesses that must not notice
// any attack.
type env struct {
	t     *testing.T
	srv   *server.Server
	alice *client.Conn
	bob   *client.Conn
	seq   int
}

// newEnv starts a server (cfg's Accounts default to accounts) and logs the
// witnesses in.
func newEnv(t *testing.T, cfg server.Config) *env {
	t.Helper()
	e := &env{t: t, srv: servertest.New(t, withDefaults(cfg))}
	e.alice = e.dial("alice", "witness")
	e.bob = e.dial("bob", "witness")
	e.checkWitnesses()
	return e
}

// withDefaults is cfg with newEnv's defaults.
func withDefaults(cfg server.Config) server.Config {
	if cfg.Accounts == nil && !cfg.AnyPassword {
		cfg.Accounts = accounts
	}
	if cfg.ParkAfter == 0 {
		// Sessions park between almost any two stanzas, so that the
		// attacks also cross c2s's wake-up path.
		cfg.ParkAfter = time.Microsecond
	}
	return cfg
}

// smallSendBufferBytes is the kernel send buffer the server's
// connections get in newSmallBufferEnv and the leak test
// (servertest.SendBuffers), so that the server's writes to a client that
// reads nothing (with a small receive buffer of its own) block after a few
// kilobytes, not after the megabytes that Linux's autotuning allows on
// loopback: the slow-reader attacks then need a flood of a few megabytes
// rather than ten, which under -race took most of a minute.
const smallSendBufferBytes = 4096

// newSmallBufferEnv is newEnv with a server whose connections have small
// send buffers (smallSendBufferBytes). The server is closed, and its
// goroutines waited for, when the test ends, as servertest.New does.
func newSmallBufferEnv(t *testing.T, cfg server.Config) *env {
	t.Helper()
	srv, err := server.New(withDefaults(cfg))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := srv.Start(servertest.SendBuffers(ln, smallSendBufferBytes))
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e := &env{t: t, srv: srv}
	e.alice = e.dial("alice", "witness")
	e.bob = e.dial("bob", "witness")
	e.checkWitnesses()
	return e
}

// dial logs user in with the client package (PLAIN).
func (e *env) dial(user, resource string) *client.Conn {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := client.Dial(ctx, e.srv.Addr().String(), client.Config{
		JID: user + "@localhost", Password: password, Resource: resource, Mechanism: "PLAIN", Timeout: testTimeout,
	})
	if err != nil {
		e.t.Fatalf("dial %s: %v", user, err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

// in returns e for subtest t: the same server and witnesses, with
// failures (and cleanups of what it dials) reported on t rather than on
// the parent test, whose FailNow must not be called from a subtest.
func (e *env) in(t *testing.T) *env {
	c := *e
	c.t = t
	t.Cleanup(func() { e.seq = c.seq }) // the next check's ids follow on
	return &c
}

// checkWitnesses is the "no disruption" check run after every attack:
// both ping the server and alice sends bob a message, and each sees exactly
// the expected answer, nothing else first.
func (e *env) checkWitnesses() {
	e.t.Helper()
	if err := e.witnessRound(); err != nil {
		e.t.Fatal(err)
	}
}

// witnessRound is checkWitnesses returning its failure, for use from any
// goroutine.
func (e *env) witnessRound() error {
	e.seq++
	id := fmt.Sprintf("ping%d", e.seq)
	recvOne := func(c *client.Conn) (*xmlnode.Element, error) {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		st, err := c.RecvContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("witness %s: recv: %w", c.JID(), err)
		}
		return st, nil
	}
	for _, w := range []*client.Conn{e.alice, e.bob} {
		if err := w.Send(xmlnode.New("jabber:client", "iq", "type", "get", "id", id, "to", "localhost").
			Append(xmlnode.New("urn:xmpp:ping", "ping"))); err != nil {
			return fmt.Errorf("witness %s: ping %s: %w", w.JID(), id, err)
		}
		r, err := recvOne(w)
		if err != nil {
			return err
		}
		if r.Name.Local != "iq" || r.Attrib("type") != "result" || r.Attrib("id") != id {
			return fmt.Errorf("witness %s: ping %s: got %s", w.JID(), id, r)
		}
	}
	body := fmt.Sprintf("still here %d", e.seq)
	if err := e.alice.Send(xmlnode.New("jabber:client", "message", "type", "chat", "to", e.bob.JID()).
		Append(xmlnode.New("jabber:client", "body").SetText(body))); err != nil {
		return fmt.Errorf("witness alice: message: %w", err)
	}
	m, err := recvOne(e.bob)
	if err != nil {
		return err
	}
	if m.Name.Local != "message" || m.ChildText("jabber:client", "body") != body || m.Attrib("from") != e.alice.JID() {
		return fmt.Errorf("witness bob: want message %q from %s, got %s", body, e.alice.JID(), m)
	}
	return nil
}

// witnessPace spaces keepWitnessesTalking's rounds (pacing, not
// synchronisation): far below any idle timeout a test sets, so that the
// witnesses are never silent for much longer than one round trip of their
// own, and far above a round's cost, so that they do not spend a core
// (back to back, they made thousands of rounds a second).
const witnessPace = 10 * time.Millisecond

// keepWitnessesTalking runs witness rounds, witnessPace apart, in another
// goroutine until the returned stop is called; stop waits for the round in
// progress (at least one: the witnesses are served meanwhile, whatever the
// scheduling) and returns the first failure. Nothing else may use the
// witnesses until stop returns. Under an idle timeout the witnesses are
// never silent for longer than one round trip of their own and the pace.
func (e *env) keepWitnessesTalking() (stop func() error) {
	quit := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		for round := 1; ; round++ {
			if err := e.witnessRound(); err != nil {
				result <- fmt.Errorf("witness round %d: %w", round, err)
				return
			}
			select {
			case <-quit:
				result <- nil
				return
			case <-time.After(witnessPace):
			}
		}
	}()
	return func() error {
		close(quit)
		return <-result
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func recv(t testing.TB, c *client.Conn) *xmlnode.Element {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	st, err := c.RecvContext(ctx)
	if err != nil {
		t.Fatalf("%s: recv: %v", c.JID(), err)
	}
	return st
}

// stanzaError returns the type and defined condition of an error stanza,
// or "" "" when st is not one.
func stanzaError(st *xmlnode.Element) (typ, cond string) {
	if st.Attrib("type") != "error" {
		return "", ""
	}
	e := st.Child("jabber:client", "error")
	if e == nil {
		return "", ""
	}
	for _, c := range e.Elements() {
		if c.Name.Space == nsStanzas && c.Name.Local != "text" {
			return e.Attrib("type"), c.Name.Local
		}
	}
	return e.Attrib("type"), ""
}

// wantStanzaError fails unless st is an error of condition cond (and type
// typ when typ is not empty).
func wantStanzaError(t testing.TB, st *xmlnode.Element, typ, cond string) {
	t.Helper()
	gt, gc := stanzaError(st)
	if gc != cond || (typ != "" && gt != typ) {
		t.Fatalf("want %s error %s, got %s", typ, cond, st)
	}
}

// raw is a servertest.Raw connection for attacks the client package would
// refuse to send, with the stream-error checks the attacks end with.
type raw struct {
	*servertest.Raw
	t testing.TB
}

func dialRaw(t testing.TB, srv *server.Server) *raw {
	t.Helper()
	return &raw{Raw: servertest.DialRaw(t, srv), t: t}
}

// sendBackground writes b from another goroutine and ignores errors: the
// server may stop reading (and reset the connection) long before the end
// of an oversized payload.
func (r *raw) sendBackground(b []byte) {
	go func() { _, _ = r.Conn.Write(b) }()
}

// open sends the standard header and returns the features.
func (r *raw) open() *xmlnode.Element {
	r.t.Helper()
	return r.Open(header)
}

// login authenticates and binds, leaving a stream ready for stanzas.
func (r *raw) login(user string) string {
	r.t.Helper()
	return r.Login(user, password, "").JID
}

// wantStreamError reads until a stream error, checks its condition, and
// checks that the server then ends the stream and the connection. Stanzas
// before the error are skipped.
func (r *raw) wantStreamError(cond string) {
	r.t.Helper()
	if err := r.streamError(cond); err != nil {
		r.t.Fatal(err)
	}
	r.wantClosed()
}

// streamError is the first half of wantStreamError, safe to call from any
// goroutine: it reads up to the stream error and reports a mismatch.
func (r *raw) streamError(cond string) error {
	for {
		el, err := r.TryNext()
		if err != nil {
			return fmt.Errorf("want stream error %s, got %w", cond, err)
		}
		if el.Name.Local != "error" || el.Name.Space != "http://etherx.jabber.org/streams" {
			continue
		}
		got := ""
		for _, c := range el.Elements() {
			if c.Name.Space == nsStreams && c.Name.Local != "text" {
				got = c.Name.Local
			}
		}
		if got != cond {
			return fmt.Errorf("want stream error %s, got %s", cond, el)
		}
		return nil
	}
}

// wantClosed checks that the server ends the stream and closes the
// connection (EOF or reset, never a timeout).
func (r *raw) wantClosed() {
	r.t.Helper()
	for {
		_, err := r.TryNext()
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatalf("server did not close the connection: %v", err)
		}
		if errors.Is(err, io.EOF) {
			// Closing tag seen (or the socket's plain EOF); the
			// socket must follow.
			buf := make([]byte, 1)
			_, err = r.Conn.Read(buf)
			if errors.As(err, &ne) && ne.Timeout() {
				r.t.Fatalf("server did not close the connection after </stream:stream>")
			}
		}
		return
	}
}

// deep returns n nested elements around a body, inside a message.
func deep(n int) string {
	var b strings.Builder
	b.WriteString(`<message to='bob@localhost'>`)
	for range n {
		b.WriteString("<a>")
	}
	for range n {
		b.WriteString("</a>")
	}
	b.WriteString(`</message>`)
	return b.String()
}
