package acceptance

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/muctest/muctest/bosh"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// slixmppUpload is slixmpp with aiohttp, which its xep_0363 plugin PUTs
// with (a Recommends of python3-slixmpp, so not always there).
var slixmppUpload = realClient{
	name: "slixmpp+aiohttp",
	missing: func() string {
		if why := slixmpp.missing(); why != "" {
			return why
		}
		return pythonModule("aiohttp", "python3-aiohttp")
	},
}

// pythonModule says why debianPython cannot import module (Debian
// package pkg), or "" when it can.
func pythonModule(module, pkg string) string {
	out, err := exec.Command(debianPython, "-c", "import "+module).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("%s cannot import %s (%v: %s); install it with: apt-get install -y %s",
			debianPython, module, err, bytes.TrimSpace(out), pkg)
	}
	return ""
}

// uploadExchange is the scenario of testdata/slixmpp/uploadpeer.py; base
// is the HTTP surface every GET URL must be under.
func uploadExchange(t *testing.T, srv target, base string) {
	t.Helper()
	tg := tag()
	runScript(t, "slixmpp/uploadpeer.py", srv, []string{
		"found the upload service upload." + srv.domain,
		"uploaded 300000 bytes as " + base + "/",
		"downloaded the image: 300000 bytes, the same",
		"downloaded the text file",
		"file-too-large 10000000",
		"without the slot's token is refused: 401",
		"a second PUT to an uploaded slot is refused: 409",
		"another name in the slot is refused: 404",
		"slixmpp upload: ok",
	}, "--alice", "alice-up-"+tg, "--bob", "bob-up-"+tg, "--base-url", base, "--size", "300000")
}

// TestUploadSlixmpp is issue 14's XEP-0363 check with a real client:
// slixmpp's xep_0363 plugin finds upload.<domain> by disco, asks for slots
// and PUTs two files to the server's HTTP surface; a second slixmpp
// session gets the links (XEP-0066) and downloads the same bytes; what
// must be refused is. Against the in-process server (Server.HTTPHandler
// on a loopback HTTP server that Services.HTTPBaseURL names) and against
// cmd/mucd -http.
func TestUploadSlixmpp(t *testing.T) {
	peerTest(t)
	t.Parallel() // servers of its own
	if _, ok := external(t); ok {
		t.Skip("REALCLIENTS_ADDR is set: upload needs the HTTP address, tested on our own servers")
	}
	require(t, slixmppUpload)
	t.Run("in-process", func(t *testing.T) {
		t.Parallel()
		srv, h := servertest.NewWithHTTP(t, server.Config{AnyPassword: true})
		_, port, _ := net.SplitHostPort(srv.Addr().String())
		uploadExchange(t, target{"127.0.0.1", port, "localhost"}, h.URL)
	})
	t.Run("mucd", func(t *testing.T) {
		t.Parallel()
		w := runMucdWeb(t, mucdBinary(t))
		base := strings.TrimSuffix(w.bosh, bosh.Path)
		uploadExchange(t, w.xmpp, base)
	})
}
