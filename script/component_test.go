package script

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/xmlnode"
)

// fakeComponentPort is the server side of XEP-0114 for one secret, just
// enough for the runner: the handshake, answers to pings addressed to
// "localhost", and every other stanza echoed back with from and to
// swapped, plus a <message id="hello"/> sent to the component at once.
func fakeComponentPort(t *testing.T, secret string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serveComponent(c, secret)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().(*net.TCPAddr).Port
}

func serveComponent(c net.Conn, secret string) {
	dec := xml.NewDecoder(bufio.NewReader(c))
	start, err := readStart(dec)
	if err != nil {
		return
	}
	to := ""
	for _, a := range start.Attr {
		if a.Name.Local == "to" {
			to = a.Value
		}
	}
	io.WriteString(c, "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='c0ffee' from='"+to+"'>")
	hs, err := xmlnode.ReadNext(dec, xmlnode.Limits{})
	sum := sha1.Sum([]byte("c0ffee" + secret))
	if err != nil || strings.TrimSpace(hs.Text()) != hex.EncodeToString(sum[:]) {
		io.WriteString(c, "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>")
		return
	}
	io.WriteString(c, "<handshake/><message from='localhost' to='"+to+"' id='hello'/>")
	for {
		st, err := xmlnode.ReadNext(dec, xmlnode.Limits{})
		if err != nil {
			io.WriteString(c, "</stream:stream>")
			return
		}
		if st.Name.Local == "iq" && st.Attrib("to") == "localhost" {
			io.WriteString(c, "<iq type='result' from='localhost' to='"+st.Attrib("from")+"' id='"+st.Attrib("id")+"'/>")
			continue
		}
		echo := st.Copy()
		echo.SetAttr("from", st.Attrib("to")).SetAttr("to", st.Attrib("from"))
		c.Write(echo.AppendTo(nil, "jabber:component:accept"))
	}
}

// TestComponentObject runs a [Component] through custom_host and
// custom_port against the fake component port: the handshake, sends and
// receives in jabber:client terms, ${X's JID} as the component's domain.
func TestComponentObject(t *testing.T) {
	port := fakeComponentPort(t, "s3cret")
	text := `# component
[Component] Gateway
	jid: gw.localhost
	password: s3cret
	custom_host: 127.0.0.1
	custom_port: ` + strconv.Itoa(port) + `
-----
Gateway connects

Gateway receives:
	<message from="localhost" to="${Gateway's JID}" id="hello"/>

Gateway sends:
	<message from="${Gateway's full JID}" to="romeo@localhost" id="m1"><body>hi</body></message>

Gateway receives:
	<message from="romeo@localhost" to="gw.localhost" id="m1"><body>hi</body></message>

Gateway disconnects
`
	s, err := Parse("c.scs", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	res := Run(context.Background(), s, Options{Strict: true, Verbose: true})
	if !res.Passed() {
		t.Fatalf("%s\n%s", res.Failure, strings.Join(res.Trace, "\n"))
	}
	// A wrong secret fails the connect step with the server's refusal.
	s, err = Parse("c.scs", strings.NewReader(strings.Replace(text, "password: s3cret", "password: wrong", 1)))
	if err != nil {
		t.Fatal(err)
	}
	res = Run(context.Background(), s, Options{})
	if res.Passed() || !strings.Contains(res.Failure.Msg, "not-authorized") || res.Failure.Step.Line != 8 {
		t.Errorf("wrong secret: %v", res.Failure)
	}
}

// TestServerOptions runs in-process with a server configuration of the
// script's own: a domain and fixed accounts.
func TestServerOptions(t *testing.T) {
	cfg := server.Config{Domain: "example.org", Accounts: map[string]string{"romeo": "right"}}
	run := func(password string) *Result {
		s, err := Parse("o.scs", strings.NewReader("# o\n[Client] Romeo\n\tjid: romeo@example.org\n\tpassword: "+password+
			"\n-----\nRomeo connects\nRomeo sends:\n\t<presence/>\nRomeo receives:\n\t<presence from=\"${Romeo's full JID}\"/>\n"))
		if err != nil {
			t.Fatal(err)
		}
		return RunScript(context.Background(), s, Options{Server: &cfg, Strict: true})
	}
	if res := run("right"); !res.Passed() {
		t.Errorf("right password: %v", res.Failure)
	}
	if res := run("wrong"); res.Passed() || !strings.Contains(res.Failure.Msg, "could not connect") {
		t.Errorf("wrong password: %v", res.Failure)
	}
}

// TestInProcessComponentPlumbing stands a fake listener in for
// component/external: RunInProcess must hand it the script's components
// (and Options.Components) and point [Component] objects at it.
func TestInProcessComponentPlumbing(t *testing.T) {
	saved := ListenComponents
	defer func() { ListenComponents = saved }()
	var got map[string]string
	ListenComponents = func(_ *server.Config, secrets map[string]string) (func(net.Listener) error, func() error, error) {
		got = secrets
		var mu sync.Mutex
		var ln net.Listener
		var conns []net.Conn
		var wg sync.WaitGroup
		serve := func(l net.Listener) error {
			mu.Lock()
			ln = l
			mu.Unlock()
			for {
				c, err := l.Accept()
				if err != nil {
					return err
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
				wg.Go(func() { serveComponent(c, secrets["gw.localhost"]) })
			}
		}
		stop := func() error {
			mu.Lock()
			defer mu.Unlock()
			if ln != nil {
				ln.Close()
			}
			for _, c := range conns {
				c.Close()
			}
			wg.Wait()
			return nil
		}
		return serve, stop, nil
	}
	s, err := Parse("p.scs", strings.NewReader(`# plumbing
[Component] Gateway
	jid: gw.localhost
	password: pw
-----
Gateway connects

Gateway receives:
	<message id="hello"/>

Gateway disconnects
`))
	if err != nil {
		t.Fatal(err)
	}
	res := RunScript(context.Background(), s, Options{Strict: true, Components: map[string]string{"other.localhost": "x"}})
	if !res.Passed() {
		t.Fatal(res.Failure)
	}
	if len(got) != 2 || got["gw.localhost"] != "pw" || got["other.localhost"] != "x" {
		t.Errorf("listener got %v", got)
	}
}

// TestComponentScripts runs testdata/components in-process: against the
// wired component/external they must pass; in a build without a listener
// each must fail at once saying so.
func TestComponentScripts(t *testing.T) {
	files, err := Files("testdata/components")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		s, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res := RunScript(context.Background(), s, Options{Strict: true})
		if !res.Passed() {
			t.Errorf("%s\n%s", f, res.Failure)
		}
	}
}
