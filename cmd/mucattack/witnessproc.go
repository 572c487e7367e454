package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The witness runs in a process of its own, this command started again
// with -witness-child: a client of the server like any other, not one
// more goroutine of the process that runs the attacks. In the attacks'
// process its reads waited for a P behind hundreds of attacking
// goroutines, each of which runs for up to 10 ms before Go preempts it
// (a writer into a socket with room in its buffer never blocks): 200
// writers on two Ps made a round trip take a second while the server
// answered it in milliseconds (upload-slot-flood). The child reports each
// round trip on its standard output, a line "ok <nanoseconds>" or
// "fail <error>", and ends when its standard input closes (the battery
// closed it, or died).

// witnessInProcess keeps the witness in the battery's process
// (-witness-in-process), as before witnessproc.go.
var witnessInProcess bool

// witnessChild is the battery's end of a witness process.
type witnessChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan struct{} // closed when the child's output ends
}

// startWitnessChild starts the witness process against addr and returns
// once it has logged in (or failed to).
func startWitnessChild(ctx context.Context, addr, domain string) (*witness, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-witness-child", "-addr", addr, "-domain", domain)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the witness process: %w", err)
	}
	w := &witness{addr: addr, domain: domain}
	w.child = &witnessChild{cmd: cmd, stdin: stdin, lines: make(chan struct{})}
	sc := bufio.NewScanner(stdout)
	ready := make(chan error, 1)
	go func() {
		defer close(w.child.lines)
		if !sc.Scan() {
			ready <- errors.New("the witness process ended before logging in")
			return
		}
		if first := sc.Text(); first != "ready" {
			ready <- errors.New(strings.TrimPrefix(first, "fail "))
			return
		}
		ready <- nil
		for sc.Scan() {
			kind, rest, _ := strings.Cut(sc.Text(), " ")
			switch kind {
			case "ok":
				n, _ := strconv.ParseInt(rest, 10, 64)
				w.record(time.Duration(n))
			case "fail":
				w.fail(errors.New(rest))
			}
		}
	}()
	select {
	case err = <-ready:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		w.child.close()
		return nil, err
	}
	return w, nil
}

// close ends the witness process and waits for its last report.
func (c *witnessChild) close() {
	c.stdin.Close()
	select {
	case <-c.lines:
	case <-time.After(2 * witnessTimeout):
		_ = c.cmd.Process.Kill()
		<-c.lines
	}
	_ = c.cmd.Wait()
}

// runWitnessChild is the witness process (-witness-child): it logs in to
// addr, says "ready" (or "fail <error>") on out, then reports every round
// trip until in ends.
func runWitnessChild(ctx context.Context, addr, domain string, in io.Reader, out io.Writer) error {
	w := &witness{addr: addr, domain: domain, stop: make(chan struct{}), done: make(chan struct{}), out: out}
	c, err := w.dial(ctx)
	if err != nil {
		fmt.Fprintf(out, "fail %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return err
	}
	fmt.Fprintln(out, "ready")
	go w.loop(c)
	_, _ = io.Copy(io.Discard, in)
	close(w.stop)
	<-w.done
	return nil
}
