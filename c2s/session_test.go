package c2s

import (
	"bufio"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/xmlnode"
)

// fakeHost records what a Session hands to its host.
type fakeHost struct {
	mu       sync.Mutex
	sessions []*Session
	stanzas  []*xmlnode.Element
	closed   []string
	grew     chan struct{} // closed and replaced when a stanza arrives
}

// stanzaCount returns how many stanzas the host has, and a channel closed
// when it has another: a test waits on it instead of polling.
func (h *fakeHost) stanzaCount() (int, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.grew == nil {
		h.grew = make(chan struct{})
	}
	return len(h.stanzas), h.grew
}

func (h *fakeHost) Bind(s *Session, full jid.JID, reply *xmlnode.Element) (Handler, error) {
	h.mu.Lock()
	h.sessions = append(h.sessions, s)
	h.mu.Unlock()
	s.Send(reply)
	return h, nil
}

func (h *fakeHost) HandleStanza(st *xmlnode.Element) {
	h.mu.Lock()
	h.stanzas = append(h.stanzas, st)
	if h.grew != nil {
		close(h.grew)
		h.grew = nil
	}
	h.mu.Unlock()
}

func (h *fakeHost) Close(reason string) {
	h.mu.Lock()
	h.closed = append(h.closed, reason)
	h.mu.Unlock()
}

type fakeAuth struct{}

func (fakeAuth) CheckPlain(u, p string) bool { return u == "user" && p == "pass" }
func (fakeAuth) SCRAMCredentials(string, string) ([]byte, []byte, int, bool) {
	return nil, nil, 0, false
}

// counter sums Busy calls, checking the count never goes negative.
type counter struct {
	mu  sync.Mutex
	n   int
	neg bool
}

func (c *counter) add(d int) {
	c.mu.Lock()
	c.n += d
	if c.n < 0 {
		c.neg = true
	}
	c.mu.Unlock()
}

func (c *counter) get() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n, c.neg
}

const (
	header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`
	// login is a pipelined negotiation: header, PLAIN, restart, bind.
	login = header +
		`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AHVzZXIAcGFzcw==</auth>` +
		header + `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>`
)

func newTestSession(t testing.TB, maxQueue int) (*Session, net.Conn, *fakeHost, *counter) {
	server, client := net.Pipe()
	h := &fakeHost{}
	busy := &counter{}
	cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, Busy: busy.add, MaxQueue: maxQueue,
		Limits: Limits{MaxStanzaBytes: 4096, MaxDepth: 10, MaxAttrs: 10}}
	s := New(server, cfg)
	go s.Run()
	t.Cleanup(func() {
		client.Close()
		<-s.Done()
	})
	return s, client, h, busy
}

func TestPipelinedLoginAndStanzas(t *testing.T) {
	s, client, h, busy := newTestSession(t, 0)
	go io.WriteString(client, login+`<message to='x@localhost' from='spoof@localhost'><body>hi</body></message></stream:stream>`)
	out, _ := io.ReadAll(client)
	<-s.Done()
	got := string(out)
	for _, want := range []string{"<success", `<jid>user@localhost/r</jid>`, "</stream:stream>"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %s lacks %s", got, want)
		}
	}
	if len(h.stanzas) != 1 || h.stanzas[0].Attrib("from") != "user@localhost/r" {
		t.Fatalf("host got %v, want one message stamped from user@localhost/r", h.stanzas)
	}
	if len(h.closed) != 1 || h.closed[0] != "" {
		t.Fatalf("Close reasons %q, want one clean close", h.closed)
	}
	if n, neg := busy.get(); n != 0 || neg {
		t.Fatalf("busy count %d (went negative: %v), want 0", n, neg)
	}
}

func TestSlowClientDisconnected(t *testing.T) {
	// The client never reads: the session is closed after one step, not
	// at the close timeout; a short step so as not to wait a second.
	// (Restored after the session's own cleanup has waited for it.)
	step := overflowStep
	t.Cleanup(func() { overflowStep = step })
	overflowStep = 20 * time.Millisecond
	s, client, h, busy := newTestSession(t, 3)
	go io.WriteString(client, login)
	// Read up to the bind result, then stop reading: the writer blocks on
	// the synchronous pipe and the queue fills.
	r := bufio.NewReader(client)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "</iq>") {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("reading: %v (got %s)", err, seen.String())
		}
		seen.WriteByte(b)
	}
	h.mu.Lock()
	sess := h.sessions[0]
	h.mu.Unlock()
	msg := xmlnode.MustParse(`<message xmlns='jabber:client'><body>flood</body></message>`)
	for range 10 {
		sess.Send(msg)
	}
	<-s.Done()
	if n, neg := busy.get(); n != 0 || neg {
		t.Fatalf("busy count %d (went negative: %v), want 0", n, neg)
	}
}

func TestStreamErrorBytes(t *testing.T) {
	got := string(streamErrorBytes(stream.Conflict, "Replaced <now>"))
	want := `<stream:error><conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">Replaced &lt;now&gt;</text></stream:error></stream:stream>`
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestDecode64(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
		err  bool
	}{
		{"", nil, false},
		{"=", []byte{}, false},
		{base64.StdEncoding.EncodeToString([]byte("abc")), []byte("abc"), false},
		{"!!", nil, true},
	}
	for _, tc := range tests {
		got, err := decode64(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("decode64(%q) succeeded, want an error", tc.in)
			}
			continue
		}
		if err != nil || string(got) != string(tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("decode64(%q) = %q, %v", tc.in, got, err)
		}
	}
}

// feed writes prefix and then data to client, closes it, reads all the
// session s writes back and waits for the session to end: a fuzz target's
// one round.
func feed(s *Session, client net.Conn, prefix string, data []byte) {
	go func() {
		_, _ = io.WriteString(client, prefix)
		_, _ = client.Write(data)
		client.Close()
	}()
	_, _ = io.Copy(io.Discard, client)
	<-s.Done()
}

// FuzzSession feeds arbitrary bytes to a session, both before
// authentication and after a pipelined login: it must never panic, must end
// when the input ends, and must leave the busy count at zero.
func FuzzSession(f *testing.F) {
	f.Add(false, []byte(`<message><body>hi</body></message>`))
	f.Add(true, []byte(`<message><body>hi</body></message>`))
	f.Add(true, []byte(`<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>`))
	f.Add(false, []byte(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj11c2VyLHI9YWJj</auth>`))
	f.Add(false, []byte(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/><response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>AHVzZXIAcGFzcw==</response>`))
	f.Add(true, []byte(`<!DOCTYPE x><a/>`))
	f.Add(true, []byte(`</stream:stream>`))
	f.Fuzz(func(t *testing.T, loggedIn bool, data []byte) {
		s, client, _, busy := newTestSession(t, 0)
		prefix := header
		if loggedIn {
			prefix = login
		}
		feed(s, client, prefix, data)
		if n, neg := busy.get(); n != 0 || neg {
			t.Fatalf("busy count %d (went negative: %v), want 0", n, neg)
		}
	})
}

// TestWriterOnlyWhileWriting checks that a bound session keeps no writer
// goroutine and no outbound buffer while it has nothing to write, that a
// Send brings them back, and that the busy count covers the write.
func TestWriterOnlyWhileWriting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, client, h, busy := newTestSession(t, 0)
		go io.WriteString(client, login)
		r := bufio.NewReader(client)
		readUpTo(t, r, "</iq>") // the bind result
		synctest.Wait()
		idleChecks := func(when string) {
			t.Helper()
			s.mu.Lock()
			writing, out, queued := s.writing, s.out, s.queued
			s.mu.Unlock()
			if writing || out != nil || queued != 0 {
				t.Errorf("%s: writing %v, buffer held %v, %d queued; want none", when, writing, out != nil, queued)
			}
			if n, neg := busy.get(); n != 0 || neg {
				t.Errorf("%s: busy count %d (went negative: %v), want 0", when, n, neg)
			}
		}
		idleChecks("after bind")

		h.mu.Lock()
		sess := h.sessions[0]
		h.mu.Unlock()
		sess.Send(xmlnode.MustParse(`<message xmlns='jabber:client'><body>one</body></message>`))
		sess.Send(xmlnode.MustParse(`<message xmlns='jabber:client'><body>two</body></message>`))
		if n, _ := busy.get(); n != 1 {
			t.Errorf("busy count %d with a write pending, want 1", n)
		}
		got := readUpTo(t, r, "two</body></message>")
		if !strings.Contains(got, "one</body></message><message><body>two") {
			t.Errorf("read %q, want both messages in order", got)
		}
		synctest.Wait()
		idleChecks("after a burst")
	})
}

// readUpTo reads from r until the text read ends with end.
func readUpTo(t *testing.T, r *bufio.Reader, end string) string {
	t.Helper()
	var seen strings.Builder
	for !strings.HasSuffix(seen.String(), end) {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("reading: %v (got %s)", err, seen.String())
		}
		seen.WriteByte(b)
	}
	return seen.String()
}

// TestIdleWriterNotBusyAfterDone checks that a writer going idle counts
// itself idle before a teardown can take the lock after it: a writer held
// just past its unlock until the session has ended and the count been read
// must not be in that count (FuzzSession found the window in CI).
func TestIdleWriterNotBusyAfterDone(t *testing.T) {
	idle, checked := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func(s *Session) {
		once.Do(func() {
			close(idle)
			<-s.Done()
			<-checked
		})
	}
	testHookWriterIdle.Store(&hook)
	t.Cleanup(func() { testHookWriterIdle.Store(nil) })
	s, client, _, busy := newTestSession(t, 0)
	go io.WriteString(client, login)
	readUpTo(t, bufio.NewReader(client), "</iq>") // the bind result
	<-idle                                        // its writer has gone idle
	client.Close()
	<-s.Done()
	n, neg := busy.get()
	close(checked)
	if n != 0 || neg {
		t.Fatalf("busy count %d (went negative: %v) once ended, want 0", n, neg)
	}
}

// TestNegotiationTimeout checks, on the bubble's clock, that
// Limits.NegotiationTimeout ends a session that never authenticates and
// does not end one that bound a resource within it (the server package's
// test over TCP had to log in within 50 ms of real time).
func TestNegotiationTimeout(t *testing.T) {
	for _, bind := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			server, client := net.Pipe()
			cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: &fakeHost{}, Busy: (&counter{}).add,
				Limits: Limits{NegotiationTimeout: time.Minute}}
			s := New(server, cfg)
			go s.Run()
			defer func() {
				client.Close()
				<-s.Done()
			}()
			go io.Copy(io.Discard, client) // no write of the session's may block
			if bind {
				go io.WriteString(client, login)
			} else {
				go io.WriteString(client, header)
			}
			time.Sleep(2 * time.Minute)
			synctest.Wait()
			select {
			case <-s.Done():
				if bind {
					t.Fatal("a bound session ended at the negotiation timeout")
				}
			default:
				if !bind {
					t.Fatal("a session that never authenticated outlived the negotiation timeout")
				}
			}
		})
	}
}
