package register_test

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
	"github.com/muctest/muctest/xmlnode"
)

func expect(t *testing.T, got *xmlnode.Element, want string) {
	t.Helper()
	w, err := xmlnode.Parse(want)
	if err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	if m := match.Match(w.TrimSpace(), got); m != nil {
		t.Fatalf("got %s\nwant %s\n%s", got, want, match.FormatMismatch(got, m))
	}
}

// open starts a stream and returns its features.
func open(t *testing.T, srv *server.Server) (*servertest.Raw, *xmlnode.Element) {
	r := servertest.DialRaw(t, srv)
	return r, r.Open(servertest.StreamHeader)
}

func expectStreamError(t *testing.T, got *xmlnode.Element, cond string) {
	t.Helper()
	if got.Name.Local != "error" || got.Child("urn:ietf:params:xml:ns:xmpp-streams", cond) == nil {
		t.Fatalf("got %s, want stream error %s", got, cond)
	}
}

func hasRegister(f *xmlnode.Element) bool {
	return f.Child("http://jabber.org/features/iq-register", "register") != nil
}

func TestRegistrationClosedByDefault(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"alice": "pw"}, NoTLS: true})
	r, f := open(t, srv)
	if hasRegister(f) {
		t.Errorf("register feature offered though registration is off: %s", f)
	}
	r.Send(`<iq type="get" id="g"><query xmlns="jabber:iq:register"/></iq>`)
	expectStreamError(t, r.Next(), "not-authorized")
}

func TestRegisterBeforeAuth(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{"taken": "pw"}, NoTLS: true, AllowRegistration: true})
	r, f := open(t, srv)
	if !hasRegister(f) {
		t.Fatalf("no register feature: %s", f)
	}
	r.Send(`<iq type="get" id="g"><query xmlns="jabber:iq:register"/></iq>`)
	expect(t, r.Next(), `<iq xmlns="jabber:client" type="result" id="g" from="localhost"><query xmlns="jabber:iq:register">
		<instructions>Choose a username and password for use with this service.</instructions><username/><password/>
		<x xmlns="jabber:x:data" type="form"><title>Creating a new account</title>
			<instructions>Choose a username and password for use with this service.</instructions>
			<field type="hidden" var="FORM_TYPE"><value>jabber:iq:register</value></field>
			<field type="text-single" var="username" label="Username"><required/></field>
			<field type="text-private" var="password" label="Password"><required/></field></x></query></iq>`)

	for _, tc := range []struct{ name, query, want string }{
		{"taken", `<username>taken</username><password>x</password>`, "conflict"},
		{"no password", `<username>bob</username>`, "not-acceptable"},
		{"bad name", `<username>a@b</username><password>x</password>`, "jid-malformed"},
		{"remove", `<remove/>`, "not-authorized"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.Send(`<iq type="set" id="s"><query xmlns="jabber:iq:register">` + tc.query + `</query></iq>`)
			got := r.Next()
			if got.Attrib("type") != "error" || got.Child("jabber:client", "error").Child("urn:ietf:params:xml:ns:xmpp-stanzas", tc.want) == nil {
				t.Errorf("got %s, want a %s error", got, tc.want)
			}
		})
	}

	r.Send(`<iq type="set" id="new"><query xmlns="jabber:iq:register"><username>Newbie</username><password>secret</password></query></iq>`)
	expect(t, r.Next(), `<iq xmlns="jabber:client" type="result" id="new" from="localhost"/>`)
	// A data form submission works as well.
	r.Send(`<iq type="set" id="form"><query xmlns="jabber:iq:register"><x xmlns="jabber:x:data" type="submit">
		<field var="FORM_TYPE"><value>jabber:iq:register</value></field>
		<field var="username"><value>formuser</value></field><field var="password"><value>pw</value></field></x></query></iq>`)
	expect(t, r.Next(), `<iq xmlns="jabber:client" type="result" id="form" from="localhost"/>`)
	// The same stream authenticates as the new account (its name in
	// normalised form), and nobody else may register it.
	if got := r.Plain("newbie", "wrong"); got.Name.Local != "failure" {
		t.Fatalf("wrong password accepted: %s", got)
	}
	r.Send(`<iq type="set" id="again"><query xmlns="jabber:iq:register"><username>newbie</username><password>x</password></query></iq>`)
	if got := r.Next(); !strings.Contains(got.String(), "conflict") {
		t.Fatalf("registered twice: %s", got)
	}
	r3 := servertest.DialRaw(t, srv)
	if r3.Login("newbie", "secret", "phone"); r3.JID != "newbie@localhost/phone" {
		t.Errorf("bound %q", r3.JID)
	}

	// Other iqs still need authentication.
	r2, _ := open(t, srv)
	r2.Send(`<iq type="get" id="v" to="localhost"><query xmlns="jabber:iq:version"/></iq>`)
	expectStreamError(t, r2.Next(), "not-authorized")
}

func TestRegistrationCaps(t *testing.T) {
	srv := servertest.New(t, server.Config{Accounts: map[string]string{}, NoTLS: true, AllowRegistration: true})
	r, _ := open(t, srv)
	// DefaultPerIPPerMinute from one address, then resource-constraint.
	for i := range 6 {
		r.Send(`<iq type="set" id="s"><query xmlns="jabber:iq:register"><username>user` + string(rune('a'+i)) + `</username><password>x</password></query></iq>`)
		got := r.Next()
		if i < 5 && got.Attrib("type") != "result" {
			t.Fatalf("registration %d refused: %s", i, got)
		}
		if i == 5 && !strings.Contains(got.String(), "resource-constraint") {
			t.Fatalf("sixth registration in a minute: %s", got)
		}
	}
}
