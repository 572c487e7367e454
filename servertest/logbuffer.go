package servertest

import (
	"bytes"
	"sync"
)

// LogBuffer collects what many goroutines write: a server's log (as the
// slog handler of Config.Logger), a proxy's, or a peer process's output
// while the test reads it. A bytes.Buffer there is a data race under
// -race; every test that watches a log needs exactly this. The zero value
// is ready to use.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p; it never fails.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
