package server_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"mellium.im/sasl"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

// XEP-0388 SASL2 and XEP-0386 Bind2 on real connections to a real server:
// the modules' inline features (XEP-0198, XEP-0280) and SCRAM's
// server-final in <additional-data/>.

const (
	nsSASL2   = "urn:xmpp:sasl:2"
	nsBind2   = "urn:xmpp:bind:0"
	nsSASL    = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsSM3     = "urn:xmpp:sm:3"
	nsCarbons = "urn:xmpp:carbons:2"
)

func plainB64(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// TestSASL2Features checks the offer: the RFC 6120 mechanisms again, and
// Bind2 inline with the default modules' features.
func TestSASL2Features(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	f := servertest.DialRaw(t, srv).Open(servertest.StreamHeader)
	a := f.Child(nsSASL2, "authentication")
	if a == nil {
		t.Fatalf("features %s offer no SASL2", f)
	}
	var mechs []string
	for _, m := range a.Elements() {
		if m.Name.Local == "mechanism" {
			mechs = append(mechs, m.Text())
		}
	}
	if got := strings.Join(mechs, ","); got != "SCRAM-SHA-256,SCRAM-SHA-1,PLAIN" {
		t.Errorf("SASL2 mechanisms %s, want those of RFC 6120", got)
	}
	bind := a.Child(nsSASL2, "inline").Child(nsBind2, "bind")
	if bind == nil {
		t.Fatalf("%s offers no Bind2 inline", a)
	}
	vars := map[string]bool{}
	for _, fe := range bind.Child(nsBind2, "inline").Elements() {
		vars[fe.Attrib("var")] = true
	}
	if !vars[nsSM3] || !vars[nsCarbons] {
		t.Errorf("Bind2 inline features %v, want sm and carbons", vars)
	}

	srv2 := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}, NoSASL2: true})
	if f := servertest.DialRaw(t, srv2).Open(servertest.StreamHeader); f.Child(nsSASL2, "authentication") != nil {
		t.Errorf("NoSASL2 server offers %s", f)
	}
}

// TestSASL2Bind2 logs in with PLAIN, Bind2, inline stream management and
// carbons in one <authenticate/>: the session is bound (a stanza is
// routed at once, with no bind iq), counted by XEP-0198 from the success
// on, and gets carbons.
func TestSASL2Bind2(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret", "bob": "secret"}})
	r := servertest.DialRaw(t, srv)
	r.Open(servertest.StreamHeader)
	r.Send(`<authenticate xmlns='` + nsSASL2 + `' mechanism='PLAIN'><initial-response>` + plainB64("alice", "secret") +
		`</initial-response><user-agent id='d4565fa7-4d72-4749-b3d3-740edbf87770'><software>test</software></user-agent>` +
		`<bind xmlns='` + nsBind2 + `'><tag>Phone</tag><enable xmlns='` + nsSM3 + `' resume='true'/><enable xmlns='` + nsCarbons + `'/></bind></authenticate>`)
	succ := r.Next()
	if succ.Name != (xmlnode.New(nsSASL2, "success").Name) {
		t.Fatalf("got %s, want a SASL2 success", succ)
	}
	full := succ.ChildText(nsSASL2, "authorization-identifier")
	if !strings.HasPrefix(full, "alice@localhost/Phone.") || len(full) != len("alice@localhost/Phone.")+8 {
		t.Fatalf("authorization identifier %q, want alice@localhost/Phone. and a suffix", full)
	}
	bound := succ.Child(nsBind2, "bound")
	if bound == nil {
		t.Fatalf("success %s has no <bound/>", succ)
	}
	en := bound.Child(nsSM3, "enabled")
	if en == nil || en.Attrib("resume") != "true" || en.Attrib("id") == "" {
		t.Fatalf("bound %s has no resumable <enabled/>", bound)
	}
	if succ.Child(nsSASL2, "additional-data") != nil {
		t.Errorf("PLAIN success %s carries additional data", succ)
	}

	// Bound: an iq goes through without a bind iq, and counts for h.
	r.Send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if res := r.Next(); res.Attrib("id") != "p1" || res.Attrib("type") != "result" {
		t.Fatalf("ping answered %s", res)
	}
	r.Send(`<r xmlns='` + nsSM3 + `'/>`)
	if a := r.Next(); a.Name.Local != "a" || a.Attrib("h") != "1" {
		t.Fatalf("ack %s, want h='1'", a)
	}

	// Carbons: bob's message to alice's other resource is copied here.
	other := servertest.DialRaw(t, srv).Login("alice", "secret", "desk")
	bob := servertest.DialRaw(t, srv).Login("bob", "secret", "b")
	bob.Send(`<message type='chat' to='` + other.JID + `' id='m1'><body>hi</body></message>`)
	for {
		el := r.Next()
		if el.Name.Local == "r" {
			continue // XEP-0198 asks for acks now and then
		}
		if el.Name.Local != "message" || el.Child(nsCarbons, "received") == nil {
			t.Fatalf("got %s, want a received carbon", el)
		}
		break
	}
	if el := other.Next(); el.Name.Local != "message" || el.Attrib("id") != "m1" {
		t.Fatalf("other resource got %s", el)
	}
}

// TestSASL2WithoutBind authenticates with SASL2 alone: the success names
// the bare JID, the post-authentication features follow without a stream
// restart, and RFC 6120 binding works from there.
func TestSASL2WithoutBind(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
	r := servertest.DialRaw(t, srv)
	r.Open(servertest.StreamHeader)
	r.Send(`<authenticate xmlns='` + nsSASL2 + `' mechanism='PLAIN'><initial-response>` + plainB64("alice", "secret") + `</initial-response></authenticate>`)
	succ := r.Next()
	if succ.Name.Local != "success" || succ.ChildText(nsSASL2, "authorization-identifier") != "alice@localhost" {
		t.Fatalf("got %s, want a success for alice@localhost", succ)
	}
	f := r.Next()
	if f.Name.Local != "features" || f.Child("urn:ietf:params:xml:ns:xmpp-bind", "bind") == nil {
		t.Fatalf("got %s, want features with <bind/>", f)
	}
	r.Send(`<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>x</resource></bind></iq>`)
	if b := r.Next(); b.Attrib("type") != "result" {
		t.Fatalf("bind answered %s", b)
	}
}

// TestSASL2SCRAM runs SCRAM-SHA-1 and SCRAM-SHA-256 over SASL2 with a
// real client negotiator: the challenge and response go in SASL2's
// namespace and the server-final message in <additional-data/>, which
// the client verifies.
func TestSASL2SCRAM(t *testing.T) {
	for _, tc := range []struct {
		name string
		mech sasl.Mechanism
	}{{"SCRAM-SHA-1", sasl.ScramSha1}, {"SCRAM-SHA-256", sasl.ScramSha256}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret"}})
			r := servertest.DialRaw(t, srv)
			r.Open(servertest.StreamHeader)
			c := sasl.NewClient(tc.mech, sasl.Credentials(func() ([]byte, []byte, []byte) {
				return []byte("alice"), []byte("secret"), nil
			}))
			_, first, err := c.Step(nil)
			if err != nil {
				t.Fatal(err)
			}
			r.Send(`<authenticate xmlns='` + nsSASL2 + `' mechanism='` + tc.name + `'><initial-response>` +
				base64.StdEncoding.EncodeToString(first) + `</initial-response><bind xmlns='` + nsBind2 + `'/></authenticate>`)
			ch := r.Next()
			if ch.Name.Space != nsSASL2 || ch.Name.Local != "challenge" {
				t.Fatalf("got %s, want a SASL2 challenge", ch)
			}
			data, _ := base64.StdEncoding.DecodeString(ch.Text())
			_, final, err := c.Step(data)
			if err != nil {
				t.Fatal(err)
			}
			r.Send(`<response xmlns='` + nsSASL2 + `'>` + base64.StdEncoding.EncodeToString(final) + `</response>`)
			succ := r.Next()
			if succ.Name.Local != "success" {
				t.Fatalf("got %s, want success", succ)
			}
			add, err := base64.StdEncoding.DecodeString(succ.ChildText(nsSASL2, "additional-data"))
			if err != nil || len(add) == 0 {
				t.Fatalf("success %s: no server-final in additional-data", succ)
			}
			if _, _, err := c.Step(add); err != nil {
				t.Fatalf("server-final does not verify: %v", err)
			}
			if id := succ.ChildText(nsSASL2, "authorization-identifier"); !strings.HasPrefix(id, "alice@localhost/") {
				t.Fatalf("authorization identifier %q, want a full JID", id)
			}
		})
	}
}

// TestSASL2Hostile is what a hostile or broken client may send in SASL2:
// each answered as RFC 6120 SASL would be, in SASL2's shape.
func TestSASL2Hostile(t *testing.T) {
	auth := func(mech, inner string) string {
		m := ""
		if mech != "-" {
			m = ` mechanism='` + mech + `'`
		}
		return `<authenticate xmlns='` + nsSASL2 + `'` + m + `>` + inner + `</authenticate>`
	}
	ir := func(s string) string { return `<initial-response>` + s + `</initial-response>` }
	tests := []struct {
		name string
		send []string // sent in turn, each after the answer to the one before
		// want is the last answer: a SASL2 failure's condition, or
		// "stream:" and a stream error's.
		want string
	}{
		{"missing mechanism", []string{auth("-", ir(plainB64("alice", "secret")))}, "invalid-mechanism"},
		{"unknown mechanism", []string{auth("DIGEST-MD5", ir("AA=="))}, "invalid-mechanism"},
		{"bad base64", []string{auth("PLAIN", ir("!!!"))}, "incorrect-encoding"},
		{"wrong password", []string{auth("PLAIN", ir(plainB64("alice", "wrong")))}, "not-authorized"},
		{"unknown user", []string{auth("PLAIN", ir(plainB64("mallory", "secret")))}, "not-authorized"},
		{"other authzid", []string{auth("PLAIN", ir(base64.StdEncoding.EncodeToString([]byte("bob@localhost\x00alice\x00secret"))))}, "invalid-authzid"},
		{"abort", []string{auth("PLAIN", ""), `<abort xmlns='` + nsSASL2 + `'/>`}, "aborted"},
		{"RFC 6120 response", []string{auth("PLAIN", ""), `<response xmlns='` + nsSASL + `'>AA==</response>`}, "malformed-request"},
		{"oversized initial response", []string{auth("PLAIN", ir(strings.Repeat("A", 20000)))}, "stream:policy-violation"},
		{"double authenticate", []string{auth("PLAIN", ir(plainB64("alice", "secret"))), auth("PLAIN", ir(plainB64("alice", "secret")))}, "stream:policy-violation"},
		{"RFC 6120 auth after SASL2", []string{auth("PLAIN", ir(plainB64("alice", "secret"))),
			`<auth xmlns='` + nsSASL + `' mechanism='PLAIN'>` + plainB64("alice", "secret") + `</auth>`}, "stream:not-authorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret", "bob": "secret"}})
			r := servertest.DialRaw(t, srv)
			r.Open(servertest.StreamHeader)
			var last *xmlnode.Element
			for _, s := range tc.send {
				r.Send(s)
				last = r.Next()
				if last.Name.Local == "success" && last.Child(nsBind2, "bound") == nil {
					r.Next() // the features that follow a success without Bind2
				}
			}
			if cond, ok := strings.CutPrefix(tc.want, "stream:"); ok {
				if last.Name.Local != "error" || last.Child("urn:ietf:params:xml:ns:xmpp-streams", cond) == nil {
					t.Fatalf("got %s, want stream error %s", last, cond)
				}
				return
			}
			if last.Name.Space != nsSASL2 || last.Name.Local != "failure" || last.Child(nsSASL, tc.want) == nil {
				t.Fatalf("got %s, want a SASL2 failure %s", last, tc.want)
			}
			// A failure leaves the stream open for another attempt.
			r.Send(auth("PLAIN", ir(plainB64("alice", "secret"))))
			if s := r.Next(); s.Name.Local != "success" {
				t.Fatalf("retry after %s: got %s", tc.want, s)
			}
		})
	}
}

// TestSASL2InlineResume drops a stream-managed Bind2 session and resumes it
// inline in the next <authenticate/>, which asks for a Bind2 bind too (as
// xmpp.js does): the success carries <resumed/> and the old full JID and
// no <bound/>, and what the client never acknowledged comes again after
// it. A <resume/> naming no session gets <failed/> in the success, and the
// bind goes on.
func TestSASL2InlineResume(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "secret", "bob": "secret"}})
	authenticate := func(r *servertest.Raw, inner string) *xmlnode.Element {
		t.Helper()
		r.Open(servertest.StreamHeader)
		r.Send(`<authenticate xmlns='` + nsSASL2 + `' mechanism='PLAIN'><initial-response>` + plainB64("alice", "secret") +
			`</initial-response>` + inner + `</authenticate>`)
		succ := r.Next()
		if succ.Name.Space != nsSASL2 || succ.Name.Local != "success" {
			t.Fatalf("got %s, want a SASL2 success", succ)
		}
		return succ
	}
	bind := `<bind xmlns='` + nsBind2 + `'><tag>t</tag><enable xmlns='` + nsSM3 + `' resume='true'/></bind>`

	f := servertest.DialRaw(t, srv).Open(servertest.StreamHeader)
	if f.Child(nsSASL2, "authentication").Child(nsSASL2, "inline").Child(nsSM3, "sm") == nil {
		t.Fatalf("features %s offer no inline resumption", f)
	}

	r1 := servertest.DialRaw(t, srv)
	succ := authenticate(r1, bind)
	full := succ.ChildText(nsSASL2, "authorization-identifier")
	id := succ.Child(nsBind2, "bound").Child(nsSM3, "enabled").Attrib("id")
	r1.Send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if res := r1.Next(); res.Attrib("id") != "p1" {
		t.Fatalf("ping answered %s", res)
	}
	bob := servertest.DialRaw(t, srv).Login("bob", "secret", "b")
	bob.Send(`<message type='chat' to='` + full + `' id='m1'><body>while away</body></message>` +
		`<iq type='get' id='p2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if res := bob.Next(); res.Attrib("id") != "p2" {
		t.Fatalf("bob's ping answered %s", res) // the message was routed before it
	}
	_ = r1.Conn.Close() // dropped, never acknowledging

	r2 := servertest.DialRaw(t, srv)
	succ = authenticate(r2, `<resume xmlns='`+nsSM3+`' previd='`+id+`' h='0'/>`+bind)
	res := succ.Child(nsSM3, "resumed")
	if res == nil || res.Attrib("previd") != id || res.Attrib("h") != "1" {
		t.Fatalf("success %s, want <resumed previd='%s' h='1'/>", succ, id)
	}
	if got := succ.ChildText(nsSASL2, "authorization-identifier"); got != full || succ.Child(nsBind2, "bound") != nil {
		t.Fatalf("success %s: want the old JID %s and no bind", succ, full)
	}
	for {
		el := r2.Next()
		if el.Name.Local == "message" {
			if el.Attrib("id") != "m1" || el.Child("urn:xmpp:delay", "delay") == nil {
				t.Fatalf("resent %s, want m1 with a delay", el)
			}
			break
		}
	}
	r2.Send(`<r xmlns='` + nsSM3 + `'/>`)
	for {
		if a := r2.Next(); a.Name.Local == "a" {
			if a.Attrib("h") != "1" {
				t.Fatalf("ack %s after resumption, want h='1'", a)
			}
			break
		}
	}

	r3 := servertest.DialRaw(t, srv)
	succ = authenticate(r3, `<resume xmlns='`+nsSM3+`' previd='nosuch' h='0'/>`+bind)
	if succ.Child(nsSM3, "failed") == nil || succ.Child(nsBind2, "bound") == nil {
		t.Fatalf("success %s, want <failed/> and a new bind", succ)
	}
}
