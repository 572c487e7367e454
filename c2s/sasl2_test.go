package c2s

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/xmlnode"
)

// inlineHost is a fakeHost that runs Bind2's inline features (InlineHost)
// and may refuse binds.
type inlineHost struct {
	fakeHost
	refuse  int // how many binds to refuse before accepting
	inlined int // inline calls
}

func (h *inlineHost) Bind(s *Session, full jid.JID, reply *xmlnode.Element) (Handler, error) {
	return h.BindInline(s, full, reply, nil)
}

func (h *inlineHost) BindInline(s *Session, full jid.JID, reply *xmlnode.Element, inline func(Handler)) (Handler, error) {
	h.mu.Lock()
	if h.refuse > 0 {
		h.refuse--
		h.mu.Unlock()
		return nil, &BindRefused{Type: "wait", Condition: "resource-constraint", Text: "too many"}
	}
	if inline != nil {
		h.inlined++
	}
	h.mu.Unlock()
	if inline != nil {
		inline(&h.fakeHost)
	}
	return h.fakeHost.Bind(s, full, reply)
}

// denyThrottle holds every attempt back.
type denyThrottle struct{}

func (denyThrottle) Allow(net.Addr, string) bool { return false }
func (denyThrottle) Failed(net.Addr, string)     {}
func (denyThrottle) Succeeded(net.Addr, string)  {}

// runSASL2 runs a session with cfg changed by edit, feeds it in (after the
// stream header) and the closing tag, and returns everything it wrote.
func runSASL2(t *testing.T, edit func(*Config), in string) (string, *inlineHost) {
	t.Helper()
	server, client := net.Pipe()
	h := &inlineHost{}
	cfg := &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, SASL2: true,
		Limits: Limits{MaxStanzaBytes: 4096, MaxDepth: 10, MaxAttrs: 10}}
	var mu sync.Mutex
	calls := 0
	cfg.Bind2 = []Bind2Feature{{Var: "urn:x", Name: xml.Name{Space: "urn:x", Local: "enable"},
		Handle: func(_ c2sapi.Session, _ Handler, el *xmlnode.Element) *xmlnode.Element {
			mu.Lock()
			calls++
			mu.Unlock()
			return xmlnode.New("urn:x", "enabled")
		}}}
	if edit != nil {
		edit(cfg)
	}
	s := New(server, cfg)
	go s.Run()
	go func() {
		_, _ = io.WriteString(client, header+in+`</stream:stream>`)
	}()
	out, _ := io.ReadAll(client)
	client.Close()
	<-s.Done()
	mu.Lock()
	h.inlined = calls
	mu.Unlock()
	return string(out), h
}

func TestSASL2Negotiation(t *testing.T) {
	plain := base64.StdEncoding.EncodeToString([]byte("\x00user\x00pass"))
	auth := func(inner string) string {
		return `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>` + plain + `</initial-response>` + inner + `</authenticate>`
	}
	msg := `<message to='x@localhost'><body>hi</body></message>`
	tests := []struct {
		name    string
		edit    func(*Config)
		in      string
		want    []string // in the output, in this order
		notWant []string
		stanzas int // routed by the host
		inlined int // inline feature calls
	}{
		{name: "offered", in: ``,
			want: []string{`<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">`, `<authentication xmlns="urn:xmpp:sasl:2"><mechanism>SCRAM-SHA-256</mechanism>`,
				`<inline><bind xmlns="urn:xmpp:bind:0"><inline><feature var="urn:x"/></inline></bind></inline></authentication>`}},
		{name: "off", edit: func(c *Config) { c.SASL2 = false }, in: auth(""),
			notWant: []string{`urn:xmpp:sasl:2`}, want: []string{`<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"`}},
		{name: "no inline features without an InlineHost", edit: func(c *Config) { c.Host = &fakeHost{} }, in: ``,
			want: []string{`<bind xmlns="urn:xmpp:bind:0"/>`}, notWant: []string{`<feature`}},
		{name: "STARTTLS required", edit: func(c *Config) { c.TLS, c.RequireTLS = &tls.Config{}, true }, in: auth(""),
			notWant: []string{`urn:xmpp:sasl:2`, `<success`}, want: []string{`<required`, `<policy-violation`}},
		{name: "without bind", in: auth("") + `<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>` + msg,
			want: []string{`<success xmlns="urn:xmpp:sasl:2"><authorization-identifier>user@localhost</authorization-identifier></success><stream:features><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/>`,
				`<jid>user@localhost/r</jid>`}, stanzas: 1},
		{name: "bind2", in: auth(`<bind xmlns='urn:xmpp:bind:0'><tag>Phone</tag><enable xmlns='urn:x'/><enable xmlns='urn:x'/></bind>`) + msg,
			want:    []string{`<authorization-identifier>user@localhost/Phone.`, `<bound xmlns="urn:xmpp:bind:0"><enabled xmlns="urn:x"/></bound></success>`},
			notWant: []string{`<stream:features><bind`}, stanzas: 1, inlined: 1},
		{name: "bind2 without tag", in: auth(`<bind xmlns='urn:xmpp:bind:0'/>`) + msg,
			want: []string{`<authorization-identifier>user@localhost/`, `<bound xmlns="urn:xmpp:bind:0"/>`}, stanzas: 1},
		{name: "bind2 overlong tag", in: auth(`<bind xmlns='urn:xmpp:bind:0'><tag>`+strings.Repeat("t", maxTagBytes+1)+`</tag></bind>`) + msg,
			want: []string{`<bound`}, notWant: []string{`/ttt`}, stanzas: 1},
		{name: "bind2 refused, then retried", edit: func(c *Config) { c.Host.(*inlineHost).refuse = 1 },
			in: auth(`<bind xmlns='urn:xmpp:bind:0'/>`) + auth(`<bind xmlns='urn:xmpp:bind:0'/>`) + msg,
			want: []string{`<failure xmlns="urn:xmpp:sasl:2"><temporary-auth-failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/><text>resource-constraint: too many</text></failure>`,
				`<success`, `<bound`}, stanzas: 1},
		{name: "throttled", edit: func(c *Config) { c.AuthThrottle = denyThrottle{} }, in: auth(""),
			want: []string{`<failure xmlns="urn:xmpp:sasl:2"><temporary-auth-failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/><text>too many failed attempts`}},
		{name: "empty initial response", in: `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response/></authenticate>`,
			want: []string{`<failure xmlns="urn:xmpp:sasl:2"><not-authorized`}},
		{name: "no initial response", in: `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'/><response xmlns='urn:xmpp:sasl:2'>` + plain + `</response>`,
			want: []string{`<challenge xmlns="urn:xmpp:sasl:2"/>`, `<success xmlns="urn:xmpp:sasl:2">`}},
		{name: "double authenticate", in: auth("") + auth(""),
			want: []string{`<success`, `<policy-violation`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, h := runSASL2(t, tc.edit, tc.in)
			rest := out
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %s (in order) in:\n%s", w, out)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %s:\n%s", w, out)
				}
			}
			if n := strings.Count(out, "<stream:stream"); n != 1 {
				t.Errorf("%d stream headers, want 1 (no restart):\n%s", n, out)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.stanzas) != tc.stanzas {
				t.Errorf("host got %d stanzas, want %d", len(h.stanzas), tc.stanzas)
			}
			if h.inlined != tc.inlined {
				t.Errorf("inline feature ran %d times, want %d", h.inlined, tc.inlined)
			}
		})
	}
}

// TestBind2Resource checks the resource a Bind2 tag gives: the tag, a dot
// and eight random characters.
func TestBind2Resource(t *testing.T) {
	plain := base64.StdEncoding.EncodeToString([]byte("\x00user\x00pass"))
	out, _ := runSASL2(t, nil, `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>`+plain+
		`</initial-response><bind xmlns='urn:xmpp:bind:0'><tag> Gajim </tag></bind></authenticate>`)
	if !regexp.MustCompile(`<authorization-identifier>user@localhost/Gajim\.[a-z2-7]{8}</authorization-identifier>`).MatchString(out) {
		t.Fatalf("no tag.suffix resource in %s", out)
	}
}

// FuzzSASL2 feeds arbitrary elements after a SASL2 <authenticate/>
// without an initial response (the exchange's challenge loop) and after a
// Bind2 login: no panic, and the session ends with its input.
func FuzzSASL2(f *testing.F) {
	f.Add(false, []byte(`<response xmlns='urn:xmpp:sasl:2'>AHVzZXIAcGFzcw==</response>`))
	f.Add(false, []byte(`<abort xmlns='urn:xmpp:sasl:2'/>`))
	f.Add(true, []byte(`<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'/>`))
	f.Add(true, []byte(`<message><body>hi</body></message>`))
	plain := base64.StdEncoding.EncodeToString([]byte("\x00user\x00pass"))
	f.Fuzz(func(t *testing.T, loggedIn bool, data []byte) {
		server, client := net.Pipe()
		h := &inlineHost{}
		s := New(server, &Config{Domain: "localhost", Auth: fakeAuth{}, Host: h, SASL2: true,
			Limits: Limits{MaxStanzaBytes: 4096, MaxDepth: 10, MaxAttrs: 10}})
		go s.Run()
		prefix := header + `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'/>`
		if loggedIn {
			prefix = header + `<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>` + plain +
				`</initial-response><bind xmlns='urn:xmpp:bind:0'><tag>f</tag></bind></authenticate>`
		}
		feed(s, client, prefix, data)
	})
}
