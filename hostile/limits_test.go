package hostile_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/muc"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// TestConnectionRate opens connections from one address beyond
// server.Config.ConnRate: the one over the rate gets a policy-violation
// stream error and is closed, and the witnesses (whose two connections
// count too) are unaffected.
func TestConnectionRate(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{ConnRate: server.RateLimit{Burst: 5, Per: time.Hour}})
	for range 3 {
		dialRaw(t, e.srv).open()
	}
	r := dialRaw(t, e.srv)
	r.Send(header)
	r.ReadHeader()
	r.wantStreamError("policy-violation")
	e.checkWitnesses()
}

// TestAuthRate makes SASL attempts from one address beyond
// server.Config.AuthRate: the attempt over the rate ends the stream with
// policy-violation instead of letting the peer keep guessing.
func TestAuthRate(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{AuthRate: server.RateLimit{Burst: 4, Per: time.Hour}})
	r := dialRaw(t, e.srv)
	r.open()
	wantFailure(t, r.Plain("alice", "guess1"), "not-authorized")
	wantFailure(t, r.Plain("alice", "guess2"), "not-authorized")
	r.Send(`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("\x00alice\x00guess3") + `</auth>`)
	r.wantStreamError("policy-violation")
	// A new connection from the same address is refused too.
	r2 := dialRaw(t, e.srv)
	r2.open()
	r2.Send(`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("\x00alice\x00"+password) + `</auth>`)
	r2.wantStreamError("policy-violation")
	e.checkWitnesses()
}

// TestIdleTimeout checks c2s.Limits.IdleTimeout: a bound client that goes
// silent, and one that trickles a stanza byte by byte (slowloris), get a
// connection-timeout stream error, while the witnesses, who keep talking
// from before the attacker logs in until it is gone, are served
// throughout. Nothing in the verdict depends on how long anything takes:
// the test waits for the stream error however late it comes (the
// witnesses talk all the while, so that they are never idle themselves),
// and the witnesses must have completed at least one round meanwhile.
func TestIdleTimeout(t *testing.T) {
	// Most of it is waiting out the timeout: it waits while the package's
	// other waiting tests do (TestSlowReader), after the sequential ones
	// that measure the heap or count goroutines.
	t.Parallel()
	for _, slowloris := range []bool{false, true} {
		t.Run(fmt.Sprintf("slowloris=%v", slowloris), func(t *testing.T) {
			// Each waits out the idle timeout: on servers of their own,
			// they wait at once.
			t.Parallel()
			e := newEnv(t, server.Config{Limits: c2s.Limits{IdleTimeout: 500 * time.Millisecond}})
			stopWitnesses := e.keepWitnessesTalking()
			r := dialRaw(t, e.srv)
			r.login("mallory")
			stop := make(chan struct{})
			trickled := make(chan struct{})
			go func() {
				defer close(trickled)
				if !slowloris {
					return
				}
				_, _ = r.Conn.Write([]byte("<message to='bob@localhost'><body>"))
				for {
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond): // pacing the attack, not synchronising
					}
					if _, err := r.Conn.Write([]byte("x")); err != nil {
						return
					}
				}
			}()
			err := r.streamError("connection-timeout")
			close(stop)
			<-trickled
			if werr := stopWitnesses(); werr != nil {
				t.Fatalf("while mallory was timed out: %v", werr)
			}
			if err != nil {
				t.Fatal(err)
			}
			r.wantClosed()
			e.checkWitnesses()
		})
	}
}

// TestSlowReader floods a client that never reads. The server must keep
// serving everyone else while that client's writes are blocked (no lock is
// held across a socket write), and must drop the client once a write has
// been blocked for c2s.Limits.WriteTimeout, or once MaxQueue stanzas wait
// for it.
func TestSlowReader(t *testing.T) {
	t.Parallel() // waits out WriteTimeout, as TestIdleTimeout waits
	cases := []struct {
		name string
		cfg  server.Config
	}{
		{"write-timeout", server.Config{Limits: c2s.Limits{WriteTimeout: 300 * time.Millisecond}}},
		// Past MaxQueue the session is closed once its client has read
		// nothing for an overflow step: a short one, not to wait a second
		// (it never reads).
		{"queue-overflow", server.Config{MaxQueue: 50, Limits: c2s.Limits{OverflowStep: 50 * time.Millisecond}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // a server of its own
			// Small kernel buffers on both sides (newSmallBufferEnv and
			// the slow reader's receive buffer), so that a few stanzas
			// are enough to block the server's writes: the flood below
			// (2.4 MB) is then three times what either limit needs
			// (MaxQueue's 50 stanzas, or one blocked write), and stays
			// under the default MaxQueueBytes (3 MiB), so that the
			// write-timeout case can only end by its write timeout.
			e := newSmallBufferEnv(t, c.cfg)
			slow := dialRaw(t, e.srv)
			must(t, slow.Conn.(*net.TCPConn).SetReadBuffer(4096))
			slowJID := slow.login("mallory")
			flooder := e.dial("eve", "hose")
			// The flood is of headlines: once the slow reader is dropped,
			// the rest of a flood of chats went to its offline store and,
			// over the quota, bounced back to the flooder with the 16 KB
			// body (up to 271 of them), which then had to parse megabytes
			// under -race or, reading nothing, was itself dropped
			// mid-flood (connection reset by peer). A headline to a gone
			// resource is dropped (RFC 6121 section 8.5.3.2.1); to a
			// bound one it is delivered as a chat is. The flooder reads
			// all along, as a client does, for whatever comes back.
			readCtx, stopReading := context.WithCancel(context.Background())
			defer stopReading()
			gone := make(chan *xmlnode.Element, 1)
			readErr := make(chan error, 1)
			bounced := 0
			go func() {
				for {
					r, err := flooder.RecvContext(readCtx)
					if err != nil {
						readErr <- err
						return
					}
					if r.Attrib("id") == "gone" {
						gone <- r
						return
					}
					bounced++
				}
			}()
			chunk := strings.Repeat("z", 16<<10)
			for i := range 150 {
				st := xmlnode.New("jabber:client", "message", "type", "headline", "to", slowJID)
				st.AddChild("jabber:client", "body").SetText(fmt.Sprintf("%d %s", i, chunk))
				must(t, flooder.Send(st))
				if i%25 == 0 {
					e.checkWitnesses()
				}
			}
			e.checkWitnesses()
			// The server drops the slow client without it ever reading: its
			// queue empties (WaitIdle) although it read nothing, and its
			// full JID is then unavailable (RFC 6121 section 8.5.3.2.1).
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			if err := e.srv.WaitIdle(ctx); err != nil {
				t.Fatalf("the server never dropped the slow reader: WaitIdle: %v", err)
			}
			must(t, flooder.SendRaw([]byte(`<iq type='get' id='gone' to='`+slowJID+`'><ping xmlns='urn:xmpp:ping'/></iq>`)))
			select {
			case r := <-gone:
				t.Logf("the flooder got %d stanzas back before the ping's answer", bounced)
				wantStanzaError(t, r, "cancel", "service-unavailable")
			case err := <-readErr:
				t.Fatalf("flooder: recv: %v", err)
			case <-ctx.Done():
				t.Fatalf("no answer to the ping: %v", ctx.Err())
			}
			e.checkWitnesses()
		})
	}
}

// TestMUCLimits checks muc.Limits through server.Config.MUCLimits: a user
// may own at most MaxRoomsPerUser rooms (not-allowed) and a room holds at
// most MaxOccupants (service-unavailable).
func TestMUCLimits(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{MUCLimits: muc.Limits{MaxRoomsPerUser: 2, MaxOccupants: 2}})
	mallory := e.dial("mallory", "laptop")
	eve := e.dial("eve", "phone")
	owner := e.dial("owner", "desk")
	for i := range 2 {
		room := fmt.Sprintf("mine%d@conference.localhost", i)
		join(t, mallory, room, "m")
		configure(t, mallory, room, nil)
	}
	got := until(t, mallory, `<presence id='third' to='mine2@conference.localhost/m'><x xmlns='`+nsMUC+`'/></presence>`, "third")
	wantStanzaError(t, got, "cancel", "not-allowed")
	e.checkWitnesses()

	join(t, owner, "mine0@conference.localhost", "o")
	got = until(t, eve, `<presence id='full' to='mine0@conference.localhost/e'><x xmlns='`+nsMUC+`'/></presence>`, "full")
	wantStanzaError(t, got, "cancel", "service-unavailable")
	e.checkWitnesses()

	// Leaving frees the place and destroying frees the quota.
	must(t, owner.SendRaw([]byte(`<presence type='unavailable' to='mine0@conference.localhost/o'/>`)))
	for {
		if p := recv(t, owner); p.Attrib("type") == "unavailable" && p.Attrib("from") == "mine0@conference.localhost/o" {
			break
		}
	}
	join(t, eve, "mine0@conference.localhost", "e")
	if r := until(t, mallory, `<iq type='set' id='rm' to='mine1@conference.localhost'><query xmlns='`+nsMUCOwn+`'><destroy/></query></iq>`, "rm"); r.Attrib("type") != "result" {
		t.Fatalf("destroy: %s", r)
	}
	join(t, mallory, "mine2@conference.localhost", "m")
	e.checkWitnesses()
}
