package hostile_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"mellium.im/sasl"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// wantFailure checks a SASL <failure/> with the given condition (RFC 6120
// section 6.5).
func wantFailure(t testing.TB, el *xmlnode.Element, cond string) {
	t.Helper()
	if el.Name.Space != nsSASL || el.Name.Local != "failure" || el.Child(nsSASL, cond) == nil {
		t.Fatalf("want SASL failure %s, got %s", cond, el)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestSASLFailures sends broken or wrong SASL exchanges. Each must get the
// failure condition of RFC 6120 section 6.5, leave the stream open, and a
// correct attempt on the same stream must then succeed.
func TestSASLFailures(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	cases := []struct {
		name  string
		steps []string // elements to send; the last answer is checked
		want  string
	}{
		{"bad-base64-auth", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>!!!not base64!!!</auth>`}, "incorrect-encoding"},
		{"truncated-base64-auth", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>AGFsaWNl=</auth>`}, "incorrect-encoding"},
		{"bad-base64-response", []string{
			`<auth xmlns='` + nsSASL + `' mechanism='SCRAM-SHA-1'>` + b64("n,,n=alice,r=abcdefghijklmnop") + `</auth>`,
			`<response xmlns='` + nsSASL + `'>%%%</response>`}, "incorrect-encoding"},
		{"unknown-mechanism", []string{`<auth xmlns='` + nsSASL + `' mechanism='X-EVIL'>` + b64("x") + `</auth>`}, "invalid-mechanism"},
		{"no-mechanism", []string{`<auth xmlns='` + nsSASL + `'>` + b64("x") + `</auth>`}, "invalid-mechanism"},
		{"plain-wrong-password", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("\x00alice\x00wrong") + `</auth>`}, "not-authorized"},
		{"plain-unknown-user", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("\x00nobody\x00secret") + `</auth>`}, "not-authorized"},
		{"plain-malformed-user", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("\x00al@ice/x\x00secret") + `</auth>`}, "not-authorized"},
		{"plain-no-separators", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("alicesecret") + `</auth>`}, "not-authorized"},
		{"plain-other-authzid", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("bob@localhost\x00alice\x00secret") + `</auth>`}, "invalid-authzid"},
		{"plain-malformed-authzid", []string{`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + b64("@@/\x00alice\x00secret") + `</auth>`}, "invalid-authzid"},
		{"scram-garbage-first", []string{`<auth xmlns='` + nsSASL + `' mechanism='SCRAM-SHA-256'>` + b64("garbage") + `</auth>`}, "not-authorized"},
		{"scram-other-authzid", []string{`<auth xmlns='` + nsSASL + `' mechanism='SCRAM-SHA-256'>` + b64("n,a=bob@localhost,n=alice,r=abcdefghijklmnop") + `</auth>`}, "invalid-authzid"},
		{"scram-channel-binding-lie", []string{`<auth xmlns='` + nsSASL + `' mechanism='SCRAM-SHA-256'>` + b64("p=tls-unique,,n=alice,r=abc") + `</auth>`}, "not-authorized"},
		{"scram-garbage-final", []string{
			`<auth xmlns='` + nsSASL + `' mechanism='SCRAM-SHA-256'>` + b64("n,,n=alice,r=abcdefghijklmnop") + `</auth>`,
			`<response xmlns='` + nsSASL + `'>` + b64("c=biws,r=wrong,p=AAAA") + `</response>`}, "not-authorized"},
		{"abort", []string{
			`<auth xmlns='` + nsSASL + `' mechanism='SCRAM-SHA-1'>` + b64("n,,n=alice,r=abcdefghijklmnop") + `</auth>`,
			`<abort xmlns='` + nsSASL + `'/>`}, "aborted"},
	}
	e := newEnv(t, server.Config{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.in(t)
			r := dialRaw(t, e.srv)
			r.open()
			var last *xmlnode.Element
			for _, s := range c.steps {
				r.Send(s)
				last = r.Next()
			}
			wantFailure(t, last, c.want)
			// The stream survives a failed attempt (RFC 6120 section
			// 6.4.5): the right password still works.
			if a := r.Plain("mallory", password); a.Name.Local != "success" {
				t.Fatalf("retry after failure: %s", a)
			}
			e.checkWitnesses()
		})
	}
}

// scram runs the client side of a SCRAM exchange over r and returns the
// client's messages and the server's last answer. tamper may alter the
// client-final message before it is sent.
func scram(t testing.TB, r *raw, mech sasl.Mechanism, user, pass string, tamper func([]byte) []byte) (first, final []byte, last *xmlnode.Element) {
	t.Helper()
	neg := sasl.NewClient(mech, sasl.Credentials(func() ([]byte, []byte, []byte) {
		return []byte(user), []byte(pass), nil
	}))
	_, first, err := neg.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Send(`<auth xmlns='` + nsSASL + `' mechanism='` + mech.Name + `'>` + base64.StdEncoding.EncodeToString(first) + `</auth>`)
	ch := r.Next()
	if ch.Name.Local != "challenge" {
		return first, nil, ch
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ch.Text()))
	if err != nil {
		t.Fatalf("bad challenge %s: %v", ch, err)
	}
	_, final, err = neg.Step(data)
	if err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		final = tamper(bytes.Clone(final))
	}
	r.Send(`<response xmlns='` + nsSASL + `'>` + base64.StdEncoding.EncodeToString(final) + `</response>`)
	return first, final, r.Next()
}

// TestSCRAMProofs checks that SCRAM refuses a wrong password, a tampered
// proof, and a replay of a successful exchange (the server's nonce part
// must make every exchange unique, RFC 5802 section 9).
func TestSCRAMProofs(t *testing.T) {
	t.Parallel() // a server of its own, nothing process-wide measured (doc.go)
	e := newEnv(t, server.Config{})
	for _, mech := range []sasl.Mechanism{sasl.ScramSha1, sasl.ScramSha256} {
		t.Run(mech.Name+"/wrong-password", func(t *testing.T) {
			e := e.in(t)
			r := dialRaw(t, e.srv)
			r.open()
			_, _, last := scram(t, r, mech, "alice", "wrong", nil)
			wantFailure(t, last, "not-authorized")
			e.checkWitnesses()
		})
		t.Run(mech.Name+"/tampered-proof", func(t *testing.T) {
			e := e.in(t)
			r := dialRaw(t, e.srv)
			r.open()
			_, _, last := scram(t, r, mech, "alice", password, func(b []byte) []byte {
				i := bytes.LastIndex(b, []byte(",p="))
				p, err := base64.StdEncoding.DecodeString(string(b[i+3:]))
				if err != nil {
					t.Fatal(err)
				}
				p[0] ^= 1
				return append(b[:i+3], base64.StdEncoding.EncodeToString(p)...)
			})
			wantFailure(t, last, "not-authorized")
			e.checkWitnesses()
		})
		t.Run(mech.Name+"/tampered-nonce", func(t *testing.T) {
			e := e.in(t)
			r := dialRaw(t, e.srv)
			r.open()
			_, _, last := scram(t, r, mech, "alice", password, func(b []byte) []byte {
				return bytes.Replace(b, []byte(",r="), []byte(",r=X"), 1)
			})
			wantFailure(t, last, "not-authorized")
			e.checkWitnesses()
		})
		t.Run(mech.Name+"/replayed-nonce", func(t *testing.T) {
			e := e.in(t)
			r := dialRaw(t, e.srv)
			r.open()
			first, final, last := scram(t, r, mech, "alice", password, nil)
			if last.Name.Local != "success" {
				t.Fatalf("honest exchange: %s", last)
			}
			// An eavesdropper replays both client messages on a new
			// stream: the server's new nonce no longer matches.
			r2 := dialRaw(t, e.srv)
			r2.open()
			r2.Send(`<auth xmlns='` + nsSASL + `' mechanism='` + mech.Name + `'>` + base64.StdEncoding.EncodeToString(first) + `</auth>`)
			if ch := r2.Next(); ch.Name.Local != "challenge" {
				t.Fatalf("want challenge, got %s", ch)
			}
			r2.Send(`<response xmlns='` + nsSASL + `'>` + base64.StdEncoding.EncodeToString(final) + `</response>`)
			wantFailure(t, r2.Next(), "not-authorized")
			e.checkWitnesses()
		})
	}
}
