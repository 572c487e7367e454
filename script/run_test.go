package script

import (
	"context"
	"strings"
	"testing"
)

const header = `# runner test

[Client] Romeo
	jid: romeo@localhost
	password: pw

[Client] Juliet
	jid: juliet@localhost/balcony
	password: pw

[Client] Juliet's phone
	jid: juliet@localhost
	password: pw
	resource: phone

-----

Romeo connects

Juliet connects

`

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		steps    string
		strict   bool
		wantErr  []string // substrings of the failure report; nil: must pass
		wantWarn []string // substrings of Result.Warnings, in order
	}{
		{name: "message to full JID", steps: `
Romeo sends:
	<message to="${Juliet's full JID}" type="chat"><body>hi</body></message>

Juliet receives:
	<message from="${Romeo's full JID}" to="juliet@localhost/balcony" type="chat">
		<body>hi</body>
	</message>

Romeo receives: nothing
`, strict: true},
		{name: "possessive client name", steps: `
Juliet's phone connects

Romeo sends:
	<message to="${Juliet's phone's full JID}"><body>phone</body></message>

Juliet's phone receives:
	<message to="juliet@localhost/phone"><body>phone</body></message>

Juliet receives: nothing
`, strict: true},
		{name: "a JID placeholder is the declared JID, as in scansion", steps: `
Romeo sends:
	<message to="${Romeo's full JID}" id="d1"><body>${Juliet's JID} ${Juliet's phone's JID} ${Romeo's JID}</body></message>

Romeo receives:
	<message id="d1"><body>juliet@localhost/balcony juliet@localhost romeo@localhost</body></message>
`, strict: true},
		{name: "several stanzas in one receive, in order", steps: `
Romeo sends:
	<message to="${Juliet's JID}" id="1"/>
	<message to="${Juliet's JID}" id="2"/>

Juliet receives:
	<message id="1"/>
	<message id="2"/>
`, strict: true},
		{name: "lenient: unexpected stanza skipped", steps: `
Romeo sends:
	<message to="${Juliet's JID}" id="extra"/>
	<message to="${Juliet's JID}" id="wanted"/>

Juliet receives:
	<message id="wanted"/>
`},
		{name: "strict: unexpected stanza before the expected one fails", strict: true, steps: `
Romeo sends:
	<message to="${Juliet's JID}" id="extra"/>
	<message to="${Juliet's JID}" id="wanted"/>

Juliet receives:
	<message id="wanted"/>
`, wantErr: []string{"run.scs:", "Juliet receives:", "strict: Juliet received a stanza the script does not expect", `<-- attribute id: expected "wanted", got "extra"`}},
		{name: "strict: leftover at the end fails", strict: true, steps: `
Romeo sends:
	<message to="${Juliet's JID}" id="never-read"/>
`, wantErr: []string{"strict: Juliet received 1 stanza(s) the script does not expect (at the end of the script)", "never-read"}},
		{name: "wrong order fails even when lenient", steps: `
Romeo sends:
	<message to="${Juliet's JID}" id="1"/>
	<message to="${Juliet's JID}" id="2"/>

Juliet receives:
	<message id="2"/>
	<message id="1"/>
`, wantErr: []string{"Juliet did not receive the expected stanza", "(nothing pending)", "[skipped at line 27]", "[matched at line 27]",
			"it arrived earlier, out of order, and was skipped by the receive at line 27", "arrived earlier, out of order:\n        <message"}},
		{name: "mismatch shows the closest stanza marked", steps: `
Romeo sends:
	<message to="${Juliet's JID}"><body>hello</body></message>

Juliet receives:
	<message><body>goodbye</body></message>
`, wantErr: []string{"run.scs:", "expected:", "<body>goodbye</body>", "received:", `<body>hello</body>   <-- text: expected "goodbye", got "hello"`, "last stanzas Juliet saw", "[pending]"}},
		{name: "receives nothing fails on a new stanza", steps: `
Romeo sends:
	<message to="${Juliet's JID}" id="surprise"/>

Juliet receives: nothing
`, wantErr: []string{"Juliet received a stanza, expected nothing", "surprise"}},
		{name: "receives nothing ignores older stanzas when lenient", steps: `
Romeo sends:
	<message to="${Juliet's JID}" id="old"/>

Romeo sends:
	<presence/>

Romeo receives:
	<presence/>

Juliet receives: nothing
`},
		{name: "disconnect delivers what the server sends on close", steps: `
Romeo disconnects

Juliet receives:
	<presence type="unavailable" from="${Romeo's full JID}"/>

Romeo disconnects
`, strict: true},
		{name: "send while disconnected goes nowhere, with a warning", steps: `
Romeo disconnects

Romeo sends:
	<presence/>
`, wantWarn: []string{"run.scs:25: Romeo sends while not connected: nothing sent"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFake(t)
			s, err := Parse("run.scs", strings.NewReader(header+tt.steps))
			if err != nil {
				t.Fatal(err)
			}
			res := Run(context.Background(), s, Options{Addr: srv.addr(), Strict: tt.strict, Verbose: true,
				WaitIdle: func(context.Context) error { return nil }})
			if len(res.Warnings) != len(tt.wantWarn) {
				t.Errorf("warnings %q, want %q", res.Warnings, tt.wantWarn)
			}
			for i, w := range tt.wantWarn {
				if i < len(res.Warnings) && !strings.Contains(res.Warnings[i], w) {
					t.Errorf("warning %d = %q, want %q", i, res.Warnings[i], w)
				}
			}
			if tt.wantErr == nil {
				if !res.Passed() {
					t.Fatalf("failed:\n%s\ntrace:\n%s", res.Failure.Error(), strings.Join(res.Trace, "\n"))
				}
				return
			}
			if res.Passed() {
				t.Fatalf("passed, want a failure\ntrace:\n%s", strings.Join(res.Trace, "\n"))
			}
			report := res.Failure.Error()
			for _, w := range tt.wantErr {
				if !strings.Contains(report, w) {
					t.Errorf("report lacks %q:\n%s", w, report)
				}
			}
		})
	}
}

// TestExternalWait checks the external-server path: no WaitIdle, a receive
// that never matches gives up after ReceiveWait.
func TestExternalWait(t *testing.T) {
	srv := startFake(t)
	s, err := Parse("ext.scs", strings.NewReader(header+`
Romeo sends:
	<message to="${Juliet's JID}"><body>a</body></message>

Juliet receives:
	<message><body>a</body></message>

Juliet receives:
	<message><body>never sent</body></message>
`))
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), s, Options{Addr: srv.addr(), ReceiveWait: 1})
	if res.Passed() || !strings.Contains(res.Failure.Error(), "ext.scs:") {
		t.Fatalf("want failure at the second receive, got %v", res.Failure)
	}
	if st := res.Failure.Step; st == nil || st.Line != s.Steps[len(s.Steps)-1].Line {
		t.Errorf("failure at step %v, want the last one", st)
	}
}
