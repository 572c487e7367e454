package external

import (
	"github.com/muctest/muctest/internal/peers"

	"bufio"
	"bytes"
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// TestSlixmppComponent connects a real XEP-0114 implementation, slixmpp's
// ComponentXMPP (testdata/echo.py), and has it echo a message: the
// handshake, both directions, the namespace change and the closing. A
// real peer, it runs under CI=true or MUCTEST_ACCEPTANCE=1 (peers.Gate).
func TestSlixmppComponent(t *testing.T) {
	peers.Gate(t) // a real peer: under CI=true or MUCTEST_ACCEPTANCE=1
	peers.NeedSlixmpp(t)
	s, addr, rt := startServer(t, Limits{})
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, peers.DebianPython, filepath.Join("testdata", "echo.py"),
		"--port", port, "--domain", botDomain, "--secret", botSecret)
	var stderr lockedOutput
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "READY" {
		cmd.Wait()
		t.Fatalf("echo.py did not get through the handshake: %q\n%s", sc.Text(), stderr.String())
	}
	if !s.Connected(botDomain) {
		t.Fatal("the server does not list the component as connected")
	}
	s.Handler(botDomain).HandleStanza(xmlnode.MustParse(
		`<message xmlns='jabber:client' type='chat' id='e1' from='romeo@localhost/balcony' to='echo@bot.localhost'><body>hello</body></message>`))
	got := rt.wait(t)
	if got.Name.Space != "jabber:client" || got.Attrib("to") != "romeo@localhost/balcony" ||
		got.Attrib("from") != "echo@bot.localhost" || got.ChildText("jabber:client", "body") != "echo: hello" {
		t.Errorf("the echo is %s", got)
	}
	for sc.Scan() {
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("echo.py: %v\n%s", err, stderr.String())
	}
}

// lockedOutput collects a process's output.
type lockedOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedOutput) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedOutput) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
