package acceptance

import (
	"log/slog"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestXmppjsSASL2 checks that xmpp.js, which prefers XEP-0388 SASL2 with
// XEP-0386 Bind2 (and XEP-0198 enabled inline) when the server offers
// them, logs in that way here and does the room exchange, and that it
// still logs in with RFC 6120 SASL and bind when SASL2 is off. The server's
// log says which profile each login used.
func TestXmppjsSASL2(t *testing.T) {
	require(t, xmppjs)
	t.Parallel() // servers of their own
	owner, guest := users(xmppjs, xmppjs)
	for _, tc := range []struct {
		name    string
		noSASL2 bool
		want    string // in the log line of each login
	}{
		{"sasl2", false, "sasl=sasl2"},
		{"rfc6120", true, "sasl=rfc6120"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log servertest.LogBuffer
			srv := servertest.New(t, server.Config{Accounts: accounts(), NoSASL2: tc.noSASL2,
				Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))})
			_, port, _ := net.SplitHostPort(srv.Addr().String())
			pair(t, target{"127.0.0.1", port, "localhost"}, xmppjs, xmppjs)
			logins := regexp.MustCompile(`msg="c2s: authenticated" .*user=(\S+) mechanism=(\S+) sasl=(\S+)`).FindAllStringSubmatch(log.String(), -1)
			seen := map[string]bool{}
			for _, l := range logins {
				seen[l[1]] = true
				if !strings.Contains(l[0], tc.want) {
					t.Errorf("login %q, want %s", l[0], tc.want)
				}
				t.Logf("server log: %s", l[0])
			}
			if !seen[owner] || !seen[guest] {
				t.Fatalf("logins %q, want %s and %s", logins, owner, guest)
			}
			bind2 := strings.Count(log.String(), `msg="c2s: bound with bind2"`)
			if want := map[bool]int{false: 2, true: 0}[tc.noSASL2]; bind2 != want {
				t.Errorf("%d Bind2 logins, want %d", bind2, want)
			}
		})
	}
}
