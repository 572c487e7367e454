package acceptance

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// browserTimeout bounds one converse.js run: Chromium's start, the login,
// the room and the exchange (generous, as scriptTimeout is).
const browserTimeout = 90 * time.Second

const chromiumPath = "/usr/bin/chromium"

var browserDir = filepath.Join("testdata", "browser")

// converse is converse.js in headless Chromium, driven by playwright-core
// (testdata/browser/converse.mjs, one process for the package: sharedBrowser).
var converse = realClient{
	name: "converse.js",
	missing: func() string {
		if _, err := os.Stat(chromiumPath); err != nil {
			return "Debian's chromium is not installed; run: apt-get install -y chromium"
		}
		if _, err := exec.LookPath("node"); err != nil {
			return "node is not in PATH"
		}
		for _, p := range []string{"converse.js", "playwright-core"} {
			if _, err := os.Stat(filepath.Join(browserDir, "node_modules", p)); err != nil {
				return p + " is not installed; run: (cd acceptance/testdata/browser && npm ci)"
			}
		}
		return ""
	},
}

// roomEcho is slixmpp answering in a room (testdata/slixmpp/roomecho.py).
var roomEcho = realClient{
	name:    "slixmpp",
	missing: slixmpp.missing,
	command: func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, debianPython, append([]string{filepath.Join("testdata", "slixmpp", "roomecho.py")}, args[1:]...)...)
	},
}

// webTarget is a server with its web transports.
type webTarget struct {
	xmpp            target
	websocket, bosh string
}

// pageServer serves page.html and converse.js's dist folder on an origin
// of its own, so that the XMPP endpoints are cross-origin for the page (as
// for a web client hosted elsewhere): BOSH needs CORS for that.
func pageServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/converse/", http.StripPrefix("/converse/",
		http.FileServer(http.Dir(filepath.Join(browserDir, "node_modules", "converse.js", "dist")))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(browserDir, "page.html"))
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL
}

// screenshotDir keeps the screenshots of the last run (git-ignored).
var screenshotDir = filepath.Join(browserDir, "screenshots")

// browserExchange logs converse.js in over transport, has it join a fresh
// room where slixmpp (over TCP) waits, say hello and hear slixmpp's
// answer; the page's screenshot is kept.
func browserExchange(t *testing.T, page string, srv webTarget, transport string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout+10*time.Second)
	defer cancel()
	tag := strings.ToLower(rand.Text()[:8])
	room := "web-" + tag + "@conference." + srv.xmpp.domain
	hello, answer := "hello from converse.js over "+transport, "hello back from slixmpp"
	echo := start(t, ctx, roomEcho, "", []string{"--host", srv.xmpp.host, "--port", srv.xmpp.port,
		"--jid", "slix-" + tag + "@" + srv.xmpp.domain, "--room", room, "--nick", "slix",
		"--peer-nick", "conv", "--hear", hello, "--say", answer,
		"--timeout", fmt.Sprint(browserTimeout.Seconds())})
	endpoint := srv.websocket
	if transport == "bosh" {
		endpoint = srv.bosh
	}
	q := url.Values{"transport": {transport}, "url": {endpoint}, "jid": {"conv-" + tag + "@" + srv.xmpp.domain},
		"password": {"pw"}, "room": {room}, "nick": {"conv"}}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, _ := filepath.Abs(filepath.Join(screenshotDir, strings.ReplaceAll(t.Name(), "/", "_")+".png"))
	job := browserJob{ID: tag, Page: page + "/?" + q.Encode(), Say: hello, Hear: answer, Screenshot: shot,
		Service: endpoint, Timeout: int(browserTimeout.Seconds()),
		Verbose: testing.Verbose() && os.Getenv("REALCLIENTS_TRACE") != ""}
	browser, err := sharedBrowser()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-echo.ready:
	case <-echo.eof:
		err := echo.wait()
		if err == nil {
			err = fmt.Errorf("%s exited without printing READY:\n%s", echo.name, indent(echo.output.String()))
		}
		t.Fatal(err)
	}
	out, browserErr := browser.run(ctx, job)
	if browserErr != nil {
		cancel()
	}
	if err := errors.Join(browserErr, echo.wait()); err != nil {
		t.Fatalf("%v\n%s\n(screenshot: %s)", err, indent(out), shot)
	}
	t.Logf("%s\n%s\nscreenshot: %s", indent(out), indent(echo.output.String()), shot)
}

// xmppjsOverWebSocket runs the room exchange of TestRoomExchange with
// xmpp.js (in node) as the owner over WebSocket and slixmpp as the guest
// over TCP.
func xmppjsOverWebSocket(t *testing.T, srv webTarget) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout+5*time.Second)
	defer cancel()
	tag := strings.ToLower(rand.Text()[:8])
	room := "xmppjs-ws-" + tag + "@conference." + srv.xmpp.domain
	owner, guest := "alice-ws-"+tag+"@"+srv.xmpp.domain, "bob-ws-"+tag+"@"+srv.xmpp.domain
	common := []string{"--host", srv.xmpp.host, "--port", srv.xmpp.port, "--room", room,
		"--timeout", fmt.Sprint(scriptTimeout.Seconds())}
	g := start(t, ctx, slixmpp, "guest", append(common, "--jid", guest, "--nick", "bob",
		"--peer-jid", owner, "--peer-nick", "alice"))
	select {
	case <-g.ready:
	case <-g.eof:
		t.Fatal(g.wait())
	}
	ws := xmppjs
	ws.command = func(ctx context.Context, args ...string) *exec.Cmd {
		node := []string{filepath.Join("testdata", "xmppjs", "mucpeer.js")}
		if nodeNeedsWebSocketFlag() {
			node = append([]string{"--experimental-websocket"}, node...)
		}
		return exec.CommandContext(ctx, "node", append(node, args...)...)
	}
	o := start(t, ctx, ws, "owner", append(common, "--service", srv.websocket, "--jid", owner, "--nick", "alice",
		"--peer-jid", guest, "--peer-nick", "bob"))
	ownerErr := o.wait()
	if ownerErr != nil {
		cancel()
	}
	if err := errors.Join(ownerErr, g.wait()); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s\n%s", indent(o.output.String()), indent(g.output.String()))
}

// nodeNeedsWebSocketFlag reports whether node is a version (20 or 21)
// whose global WebSocket, which @xmpp/websocket uses, is behind a flag.
var nodeNeedsWebSocketFlag = sync.OnceValue(func() bool {
	out, err := exec.Command("node", "--version").Output()
	v := strings.TrimSpace(string(out))
	return err == nil && (strings.HasPrefix(v, "v20.") || strings.HasPrefix(v, "v21."))
})

// TestWebClients is issue 13's acceptance test: converse.js in headless
// Chromium logs in over WebSocket and then over BOSH, joins a room and
// exchanges groupchat messages with slixmpp; xmpp.js in node connects over
// WebSocket and runs the room exchange with slixmpp. Both against the
// in-process server and against cmd/mucd -http.
func TestWebClients(t *testing.T) {
	peerTest(t)
	t.Parallel() // servers of its own
	if _, ok := external(t); ok {
		t.Skip("REALCLIENTS_ADDR is set: the web transports are tested on our own servers")
	}
	require(t, slixmpp, converse, xmppjs)
	page := pageServer(t)
	run := func(t *testing.T, srv webTarget) {
		// Each exchange has accounts and a room of its own, so they share
		// the server and run at once: most of their time is waiting.
		for _, transport := range []string{"websocket", "bosh"} {
			t.Run("converse-"+transport, func(t *testing.T) {
				t.Parallel()
				browserExchange(t, page, srv, transport)
			})
		}
		t.Run("xmppjs-websocket", func(t *testing.T) {
			t.Parallel()
			xmppjsOverWebSocket(t, srv)
		})
	}
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		srv := servertest.New(t, server.Config{})
		h := servertest.StartHTTP(t, srv)
		_, port, _ := net.SplitHostPort(srv.Addr().String())
		run(t, webTarget{target{"127.0.0.1", port, "localhost"}, h.WebSocketURL, h.BOSHURL})
	})
	t.Run("mucd", func(t *testing.T) {
		t.Parallel()
		if testing.Short() {
			t.Skip("-short: skipping the build of cmd/mucd")
		}
		run(t, runMucdWeb(t, mucdBinary(t)))
	})
}

// mucdWeb is mucd's log line naming its web endpoints.
var mucdWeb = regexp.MustCompile(`msg="mucd: web transports" websocket=(\S+) bosh=(\S+)`)

// runMucdWeb starts bin with -http on a free loopback port (runMucd) and
// returns its XMPP and web addresses.
func runMucdWeb(t *testing.T, bin string) webTarget {
	t.Helper()
	w := startMucd(t, bin, "-http", "127.0.0.1:0")
	if w.websocket == "" {
		t.Fatalf("mucd named no web transports")
	}
	return w
}
