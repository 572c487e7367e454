package script

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// roomHeader has three clients; Romeo creates and unlocks a room that
// Juliet, then Mercutio join, so that Mercutio's join has two presences in
// the open order.
const roomHeader = `# verbs

[Client] Romeo
	jid: romeo@localhost/garden
	password: pw

[Client] Juliet
	jid: juliet@localhost/balcony
	password: pw

[Client] Mercutio
	jid: mercutio@localhost/street
	password: pw

-----

Romeo connects

Romeo sends:
	<presence to="r@conference.localhost/Romeo"><x xmlns="http://jabber.org/protocol/muc"/></presence>

Romeo receives:
	<presence from="r@conference.localhost/Romeo"/>
	<message type="groupchat"><subject/></message>

Romeo sends:
	<iq type="set" id="unlock" to="r@conference.localhost">
		<query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"/></query>
	</iq>

Romeo receives:
	<iq type="result" id="unlock"/>

Juliet connects

Juliet sends:
	<presence to="r@conference.localhost/Juliet"><x xmlns="http://jabber.org/protocol/muc"/></presence>

Juliet receives:
	<presence from="r@conference.localhost/Romeo"/>
	<presence from="r@conference.localhost/Juliet"/>
	<message type="groupchat"><subject/></message>

Romeo receives:
	<presence from="r@conference.localhost/Juliet"/>

Mercutio connects

Mercutio sends:
	<presence to="r@conference.localhost/Mercutio"><x xmlns="http://jabber.org/protocol/muc"/></presence>
`

func runText(t *testing.T, text string, opts Options) *Result {
	t.Helper()
	s, err := Parse("v.scs", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return RunScript(context.Background(), s, opts)
}

func TestRunNewVerbs(t *testing.T) {
	tests := []struct {
		name     string
		steps    string
		strict   bool
		wantErr  []string
		wantWarn string
	}{
		{name: "any order, listed against the server's order", strict: true, steps: `
Mercutio receives in any order:
	<presence from="r@conference.localhost/Juliet"/>
	<presence from="r@conference.localhost/Romeo"/>
	<presence from="r@conference.localhost/Mercutio"/>
	<message type="groupchat"><subject/></message>

Romeo receives:
	<presence from="r@conference.localhost/Mercutio"/>

Juliet receives:
	<presence from="r@conference.localhost/Mercutio"/>
`},
		{name: "the same, ordered, fails", steps: `
Mercutio receives:
	<presence from="r@conference.localhost/Juliet"/>
	<presence from="r@conference.localhost/Romeo"/>
`, wantErr: []string{"Mercutio did not receive the expected stanza", "arrived earlier, out of order", `from="r@conference.localhost/Romeo"`,
			`"receives in any order:" accepts any`}},
		{name: "the same, ordered and strict, fails with the hint", strict: true, steps: `
Mercutio receives:
	<presence from="r@conference.localhost/Juliet"/>
	<presence from="r@conference.localhost/Romeo"/>
`, wantErr: []string{"strict: Mercutio received a stanza the script does not expect before the expected one", `"receives in any order:" accepts any`}},
		{name: "any order: one missing is named with the closest stanza", steps: `
Mercutio receives in any order:
	<presence from="r@conference.localhost/Juliet"/>
	<presence from="r@conference.localhost/Tybalt"/>
`, wantErr: []string{"Mercutio did not receive 1 of the 2 stanzas expected in any order", `<presence from="r@conference.localhost/Tybalt"/>`,
			`<-- attribute from: expected "r@conference.localhost/Tybalt"`}},
		{name: "any order: strict fails on a stanza left out in between", strict: true, steps: `
Mercutio receives in any order:
	<presence from="r@conference.localhost/Romeo"/>
	<presence from="r@conference.localhost/Mercutio"/>
`, wantErr: []string{"strict: Mercutio received a stanza the script does not expect among the 2 expected in any order", "r@conference.localhost/Juliet"}},
		{name: "any order: lenient skips it", steps: `
Mercutio receives in any order:
	<presence from="r@conference.localhost/Romeo"/>
	<presence from="r@conference.localhost/Mercutio"/>
`},
		{name: "any order: distinct stanzas for equal expectations", steps: `
Mercutio receives in any order:
	<presence/>
	<presence/>
	<presence/>
	<presence/>
`, wantErr: []string{"did not receive 1 of the 4"}},
		{name: "connection drops: the others see the leave", steps: `
Mercutio receives in any order:
	<presence from="r@conference.localhost/Juliet"/>
	<presence from="r@conference.localhost/Romeo"/>

Juliet's connection drops

Romeo receives:
	<presence type="unavailable" from="r@conference.localhost/Juliet"/>

Mercutio receives:
	<presence type="unavailable" from="r@conference.localhost/Juliet"/>
`},
		{name: "stream error expected but the stream is open", steps: `
Juliet receives stream error: conflict
`, wantErr: []string{"Juliet's stream is still open, expected a stream error (conflict)"}},
		{name: "stream error after a plain close", steps: `
Juliet disconnects

Juliet receives stream error
`, wantErr: []string{"Juliet is not connected (its stream ended without a stream error), expected a stream error (any condition)"}},
		{name: "a receive without type matching an error warns", steps: `
Mercutio sends:
	<iq type="get" id="bad" to="nobody@localhost/x"><ping xmlns="urn:xmpp:ping"/></iq>

Mercutio receives:
	<iq id="bad"/>
`, wantWarn: `Mercutio received a type="error" <iq/> where the script expects one without type`},
		{name: "captures bind, then must be equal, and are shown", steps: `
Juliet sends:
	<message to="r@conference.localhost" type="groupchat" id="c1"><body>one</body></message>

Romeo receives:
	<message id="{scansion:capture:mid}"><body>one</body></message>

Juliet sends:
	<message to="r@conference.localhost" type="groupchat" id="c2"><body>two</body></message>

Romeo receives:
	<message id="{scansion:capture:mid}"><body>two</body></message>
`, wantErr: []string{`capture mid is "c1", got "c2"`, "captures:", `mid = "c1" (line 55)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runText(t, roomHeader+tt.steps, Options{Strict: tt.strict, Verbose: true})
			if tt.wantWarn != "" {
				if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), tt.wantWarn) {
					t.Errorf("warnings %q, want %q", res.Warnings, tt.wantWarn)
				}
			} else if len(res.Warnings) > 0 {
				t.Errorf("warnings %q", res.Warnings)
			}
			if tt.wantErr == nil {
				if !res.Passed() {
					t.Fatalf("failed:\n%s\ntrace:\n%s", res.Failure, strings.Join(res.Trace, "\n"))
				}
				return
			}
			if res.Passed() {
				t.Fatalf("passed, want a failure\ntrace:\n%s", strings.Join(res.Trace, "\n"))
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(res.Failure.Error(), w) {
					t.Errorf("report lacks %q:\n%s", w, res.Failure)
				}
			}
		})
	}
}

func TestResultLogsAndSteps(t *testing.T) {
	var streamed []string
	res := runText(t, roomHeader+`
Mercutio receives:
	<presence from="r@conference.localhost/Mercutio"/>
`, Options{Trace: func(l string) { streamed = append(streamed, l) }})
	if !res.Passed() {
		t.Fatal(res.Failure)
	}
	if len(res.Steps) != len(res.Script.Steps) {
		t.Fatalf("%d step results for %d steps", len(res.Steps), len(res.Script.Steps))
	}
	last := res.Steps[len(res.Steps)-1]
	if last.Failed || last.Skipped != 2 || last.Elapsed <= 0 {
		t.Errorf("last step %+v, want 2 skipped", last)
	}
	if len(res.Trace) != 0 {
		t.Error("Trace kept without Verbose")
	}
	if len(streamed) == 0 || !strings.HasPrefix(streamed[0], "v.scs:") || !strings.Contains(strings.Join(streamed, "\n"), "ms)") {
		t.Errorf("streamed trace %q", streamed)
	}
	var merc ClientLog
	for _, c := range res.Clients {
		if c.Name == "Mercutio" {
			merc = c
		}
	}
	count := map[string]int{}
	for _, l := range merc.Stanzas {
		count[l.Status]++
		if l.Status != Pending && l.Line != res.Script.Steps[len(res.Script.Steps)-1].Line {
			t.Errorf("stanza %s %s at line %d", l.Stanza, l.Status, l.Line)
		}
	}
	if count[Skipped] != 2 || count[Matched] != 1 || count[Pending] != 1 {
		t.Errorf("Mercutio's log: %v", count)
	}
}

func TestTimeoutsAreNamed(t *testing.T) {
	t.Parallel() // waits out two 50 ms limits on a listener of its own
	// A script against a server that accepts TCP and never answers: the
	// connect step runs into the limit.
	ln := listenSilent(t)
	s, err := Parse("t.scs", strings.NewReader("# t\n[Client] R\n\tjid: r@localhost\n---\nR connects\n"))
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), s, Options{Addr: ln, StepTimeout: 50 * time.Millisecond})
	if res.Passed() || !strings.Contains(res.Failure.Msg, "the per-step time limit (Options.StepTimeout, 50ms) ran out at line 5") {
		t.Errorf("failure %v", res.Failure)
	}
	res = Run(context.Background(), s, Options{Addr: ln, Timeout: 50 * time.Millisecond})
	if res.Passed() || !strings.Contains(res.Failure.Msg, "the script's time limit (Options.Timeout, muctest -timeout, 50ms) ran out at line 5") {
		t.Errorf("failure %v", res.Failure)
	}
}

func TestHistoryTruncated(t *testing.T) {
	long := "<message>" + strings.Repeat("\n<x xmlns='y'/>", 40) + "</message>"
	got := truncate(long, 12)
	if n := strings.Count(got, "\n"); n != 11 || !strings.HasSuffix(got, "(30 more lines)") {
		t.Errorf("truncate kept %d lines: %q", n+1, got)
	}
	if truncate("a\nb", 12) != "a\nb" {
		t.Error("short stanza changed")
	}
}

func TestFilesRefusesEmpty(t *testing.T) {
	dir := t.TempDir()
	if _, err := Files(dir); err == nil || !strings.Contains(err.Error(), "no .scs files") {
		t.Errorf("Files(empty) = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "b.scs"), nil, 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "a.scs"), nil, 0o644)
	if f, err := Files(dir); err != nil || len(f) != 2 {
		t.Errorf("Files = %v, %v", f, err)
	}
}

// TestComponentBuiltinListener: without ListenComponents, the in-process
// server's own XEP-0114 listener (server.Config.Components) accepts the
// script's components.
func TestComponentBuiltinListener(t *testing.T) {
	if ListenComponents != nil {
		t.Skip("another component listener is wired in")
	}
	res := runText(t, "# c\n[Component] G\n\tjid: g.localhost\n\tpassword: s\n---\nG connects\n\nG disconnects\n", Options{})
	if !res.Passed() {
		t.Errorf("failure %v", res.Failure)
	}
}

// listenSilent accepts connections and never writes, for timeout tests.
func listenSilent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range conns {
					c.Close()
				}
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestAddrFor(t *testing.T) {
	tests := []struct {
		c          Client
		addr, comp string
		want       string
	}{
		{Client{}, "10.0.0.1:5222", "", "10.0.0.1:5222"},
		{Client{Host: "127.0.0.2"}, "10.0.0.1:5222", "", "127.0.0.2:5222"},
		{Client{Port: 5299}, "10.0.0.1:5222", "", "10.0.0.1:5299"},
		{Client{Host: "::1", Port: 5299}, "10.0.0.1:5222", "", "[::1]:5299"},
		{Client{Component: true}, "10.0.0.1:5222", "10.0.0.1:5347", "10.0.0.1:5347"},
		{Client{Component: true, Port: 5348}, "10.0.0.1:5222", "10.0.0.1:5347", "10.0.0.1:5348"},
		{Client{Component: true, Host: "gw.example"}, "", "", "gw.example:5347"},
		{Client{Component: true}, "10.0.0.1:5222", "", ""},
	}
	for _, tt := range tests {
		r := &runner{opts: Options{Addr: tt.addr, ComponentAddr: tt.comp}}
		got, err := r.addrFor(&tt.c)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%+v: %q, want an error", tt.c, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%+v with %q/%q: %q, %v, want %q", tt.c, tt.addr, tt.comp, got, err, tt.want)
		}
	}
}

// TestAnyOrderStillStrict checks that "receives in any order" hides
// nothing in strict mode: in the spec scripts that use it, leaving out any
// one stanza of such a block, or expecting one twice, must fail.
func TestAnyOrderStillStrict(t *testing.T) {
	for _, f := range []string{"../spec/muc_presence_broadcast.scs", "../spec/muc_kick_ban_witness.scs"} {
		s, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blocks := 0
		for _, st := range s.Steps {
			if st.Action != ReceiveAnyOrder || len(st.stanzas) < 2 {
				continue
			}
			blocks++
			full := st.stanzas
			for k := range full {
				for _, variant := range []string{"without", "twice"} {
					var els []*xmlnode.Element
					els = append(els, full[:k]...)
					if variant == "twice" {
						els = append(els, full[k], full[k])
					}
					els = append(els, full[k+1:]...)
					st.stanzas = els
					res := RunScript(context.Background(), s, Options{Strict: true})
					if res.Passed() {
						t.Errorf("%s:%d: passed with stanza %d %s", f, st.Line, k+1, variant)
					}
				}
			}
			st.stanzas = full
		}
		if blocks == 0 {
			t.Errorf("%s has no any-order block", f)
		}
		if res := RunScript(context.Background(), s, Options{Strict: true}); !res.Passed() {
			t.Errorf("%s fails as written: %v", f, res.Failure)
		}
	}
}

func TestUnexpectedStreamErrorWarns(t *testing.T) {
	res := runText(t, `# w
[Client] Romeo
	jid: w-romeo@localhost/x
[Client] Romeo again
	jid: w-romeo@localhost/x
-----
Romeo connects

Romeo again connects
`, Options{})
	if !res.Passed() {
		t.Fatal(res.Failure)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], "v.scs:9: Romeo's stream ended with a stream error the script does not expect: <conflict/>") {
		t.Errorf("warnings %q", res.Warnings)
	}
}

func TestOffersPlainFirst(t *testing.T) {
	tests := []struct {
		cfg  server.Config
		opts Options
		want bool
	}{
		{DefaultServerConfig(), Options{}, true},
		{server.Config{Accounts: map[string]string{"a": "b"}}, Options{}, true},
		{server.Config{Mechanisms: []string{"SCRAM-SHA-256"}}, Options{}, false},
		{server.Config{Mechanisms: []string{"SCRAM-SHA-256", "PLAIN"}}, Options{}, true},
		{server.Config{RequireTLS: true}, Options{}, false},
		{DefaultServerConfig(), Options{TLS: true}, false},
		{DefaultServerConfig(), Options{Mechanism: "SCRAM-SHA-1,PLAIN"}, false},
		{DefaultServerConfig(), Options{Mechanism: "plain"}, true},
	}
	for i, tt := range tests {
		if got := offersPlainFirst(tt.cfg, tt.opts); got != tt.want {
			t.Errorf("%d: offersPlainFirst = %v, want %v", i, got, tt.want)
		}
	}
}
