package external_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/muctest/muctest/script"
	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// componentScript is a scansion script with an XEP-0114 [Component]: the
// runner plays the component against our server's component listener.
const componentScript = `# A client and an external component exchange messages

[Client] Romeo
	jid: romeo@localhost/balcony
	password: password

[Component] Echo
	jid: echo.localhost
	password: s3cret

-----

Echo connects

Romeo connects

Romeo sends:
	<message to="bot@echo.localhost" type="chat" id="m1">
		<body>ping</body>
	</message>

Echo receives:
	<message from="${Romeo's full JID}" to="bot@echo.localhost" type="chat" id="m1">
		<body>ping</body>
	</message>

Echo sends:
	<message from="bot@echo.localhost" to="${Romeo's full JID}" type="chat" id="m2">
		<body>pong</body>
	</message>

Romeo receives:
	<message from="bot@echo.localhost" type="chat" id="m2">
		<body>pong</body>
	</message>

# A component may not speak for a user.
Echo sends:
	<message from="juliet@localhost" to="${Romeo's full JID}" type="chat" id="m3">
		<body>spoofed</body>
	</message>

Echo receives stream error: invalid-from

Romeo receives: nothing
`

// TestScriptWithComponent runs a [Component] script strictly against a
// server with Config.Components, settling with WaitIdle (which counts the
// component's stream too), as the in-process runner does.
func TestScriptWithComponent(t *testing.T) {
	srv := servertest.New(t, server.Config{Components: map[string]string{"echo.localhost": "s3cret"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := srv.StartComponents(ln)
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	s, err := script.Parse("component.scs", strings.NewReader(componentScript))
	if err != nil {
		t.Fatal(err)
	}
	res := script.Run(context.Background(), s, script.Options{
		Addr: srv.Addr().String(), ComponentAddr: srv.ComponentAddr().String(),
		WaitIdle: srv.WaitIdle, Strict: true,
	})
	if !res.Passed() {
		t.Fatalf("%v", res.Failure)
	}
}
