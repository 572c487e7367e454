package acceptance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/muctest/muctest/servertest"
)

// browserHost is the package's one headless Chromium (converse.mjs): every
// converse.js exchange opens a browser context of its own in it, so the
// browser starts once per test binary, not once per exchange.
type browserHost struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	output servertest.LogBuffer // lines that belong to no exchange
	exited chan struct{}        // closed when its stdout is drained

	mu      sync.Mutex
	pending map[string]*browserRun
	gone    error // set once the process is gone: new runs fail at once
}

// browserRun is one exchange in the browser.
type browserRun struct {
	output servertest.LogBuffer
	done   chan error // gets the exchange's result, once
}

// browserJob is one line of converse.mjs's input.
type browserJob struct {
	ID         string `json:"id"`
	Page       string `json:"page"`
	Say        string `json:"say"`
	Hear       string `json:"hear"`
	Screenshot string `json:"screenshot"`
	Service    string `json:"service,omitempty"`
	Timeout    int    `json:"timeout"`
	Verbose    bool   `json:"verbose,omitempty"`
}

var (
	browserMu   sync.Mutex
	browserProc *browserHost
)

// sharedBrowser starts converse.mjs on first use.
func sharedBrowser() (*browserHost, error) {
	browserMu.Lock()
	defer browserMu.Unlock()
	if browserProc != nil {
		return browserProc, nil
	}
	cmd := exec.Command("node", filepath.Join(browserDir, "converse.mjs"), "--timeout", fmt.Sprint(browserTimeout.Seconds()))
	h := &browserHost{cmd: cmd, exited: make(chan struct{}), pending: map[string]*browserRun{}}
	cmd.Stderr = &h.output
	cmd.WaitDelay = 5 * time.Second
	var err error
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("converse.mjs stdin: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("converse.mjs stdout: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start converse.mjs: %w", err)
	}
	go h.read(stdout)
	browserProc = h
	return h, nil
}

// read routes each output line to its exchange and ends every pending one
// when the process is gone.
func (h *browserHost) read(stdout io.Reader) {
	defer close(h.exited)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		id, text, _ := strings.Cut(sc.Text(), " ")
		h.mu.Lock()
		r := h.pending[id]
		if r != nil && (text == "DONE" || strings.HasPrefix(text, "FAIL ")) {
			delete(h.pending, id)
		}
		h.mu.Unlock()
		switch {
		case r == nil:
			fmt.Fprintln(&h.output, sc.Text())
		case text == "DONE":
			r.done <- nil
		case strings.HasPrefix(text, "FAIL "):
			r.done <- errors.New(strings.TrimPrefix(text, "FAIL "))
		default:
			fmt.Fprintln(&r.output, text)
		}
	}
	_, _ = io.Copy(io.Discard, stdout)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gone = fmt.Errorf("converse.mjs exited:\n%s", indent(h.output.String()))
	for id, r := range h.pending {
		delete(h.pending, id)
		r.done <- h.gone
	}
}

// run sends job to the browser and waits for its result, or for ctx.
func (h *browserHost) run(ctx context.Context, job browserJob) (string, error) {
	r := &browserRun{done: make(chan error, 1)}
	line, err := json.Marshal(job)
	if err != nil {
		return "", fmt.Errorf("browser job: %w", err)
	}
	h.mu.Lock()
	if h.gone != nil {
		h.mu.Unlock()
		return "", h.gone
	}
	h.pending[job.ID] = r
	_, err = h.stdin.Write(append(line, '\n'))
	h.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("sending the job to converse.mjs: %w", err)
	}
	select {
	case err = <-r.done:
	case <-ctx.Done():
		err = fmt.Errorf("converse.js: no result: %w", ctx.Err())
	}
	return r.output.String(), err
}

// stopBrowser closes the shared browser, if it was started: converse.mjs
// exits once its input ends.
func stopBrowser() {
	browserMu.Lock()
	h := browserProc
	browserMu.Unlock()
	if h == nil {
		return
	}
	h.stdin.Close()
	select {
	case <-h.exited:
	case <-time.After(browserTimeout): // a hung browser must not hang the binary
		_ = h.cmd.Process.Kill()
	}
	_ = h.cmd.Wait()
}
