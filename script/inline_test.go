package script

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/c2s"
)

// TestInlineReadFallback runs a step that makes the in-process server
// write Juliet more than loopback's socket buffers hold, while the clients
// read inline (client.Config.ReadInline), i.e. nobody reads Juliet's
// socket during the wait for the server: the server could never become
// idle, and the runner must hand the streams to reader goroutines
// (waitServer) for the script to pass.
func TestInlineReadFallback(t *testing.T) {
	t.Parallel() // in-process servers of its own, no package state
	body := strings.Repeat("x", 4000)
	var b strings.Builder
	b.WriteString("# fallback\n\n[Client] Romeo\n\tjid: romeo@localhost/r\n\tpassword: pw\n\n[Client] Juliet\n\tjid: juliet@localhost/r\n\tpassword: pw\n\n-----\n\nRomeo connects\n\nJuliet connects\n\nRomeo sends:\n")
	const n = 1000 // 4 MB
	for i := range n {
		fmt.Fprintf(&b, "\t<message to=\"juliet@localhost/r\" id=\"m%d\"><body>%s</body></message>\n", i, body)
	}
	fmt.Fprintf(&b, "\nJuliet receives:\n\t<message id=\"m%d\"/>\n", n-1)
	s, err := Parse("fallback.scs", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultServerConfig()
	// Juliet's queue holds everything: not dropped as too slow.
	cfg.Limits = c2s.Limits{MaxQueueBytes: 64 << 20}
	// Of the trace, the test keeps the short lines, not the stanzas (4 MB
	// of them, copied and grown for nothing), and notes whether a line
	// said the streams went to the background.
	var trace strings.Builder
	background := false
	res := RunInProcess(context.Background(), s, cfg, Options{Timeout: 20 * time.Second, Trace: func(line string) {
		background = background || strings.Contains(line, "read in the background")
		if len(line) < 1000 {
			trace.WriteString(line + "\n")
		}
	}})
	if !res.Passed() {
		t.Fatalf("failed: %v", res.Failure)
	}
	if !background {
		t.Errorf("the streams were not handed to reader goroutines; trace:\n%s", truncate(trace.String(), 2000))
	}
}
