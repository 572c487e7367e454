package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/muctest/muctest/record"
)

// subcommand runs "muctest record ..." when args name it, and the runner
// otherwise; main calls it so that the runner's flags stay as they are.
func subcommand(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "record" {
		return runRecord(args[1:], stderr, nil)
	}
	return run(args, stdout, stderr)
}

// runRecord is "muctest record": a recording proxy in front of an XMPP
// server that writes the session of the clients that log in through it as
// a scansion script, when the last of them disconnects or on SIGINT. When
// ready is not nil, it receives the listening address (for tests).
func runRecord(args []string, stderr io.Writer, ready chan<- net.Addr) int {
	fl := flag.NewFlagSet("muctest record", flag.ContinueOnError)
	fl.SetOutput(stderr)
	listen := fl.String("listen", "127.0.0.1:5222", "accept clients on `addr`")
	upstream := fl.String("upstream", "", "the XMPP server to record in front of, `host:port` (required)")
	out := fl.String("o", "", "write the script to `file` (required)")
	title := fl.String("title", "", "the script's title line")
	noTLS := fl.Bool("no-tls", false, "offer clients no STARTTLS (by default the recorder terminates TLS with a self-signed certificate)")
	verbose := fl.Bool("v", false, "log every connection")
	untilSignal := fl.Bool("until-interrupt", false, "keep recording when the last client leaves (clients that log in one after the other), until interrupted")
	captures := fl.Bool("captures", true, "write made-up values received more than once (an occupant-id, a stanza-id) as {scansion:capture:NAME}, so that a replay checks they stay equal; -captures=false writes {scansion:any} for runners without captures")
	fl.Usage = func() {
		fmt.Fprintf(stderr, "usage: muctest record -listen ADDR -upstream HOST:PORT -o FILE\n\n"+
			"Relays XMPP clients to a server and writes their session as a scansion script\n"+
			"when the last client disconnects, or on interrupt.\n\n")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *upstream == "" || *out == "" || fl.NArg() > 0 {
		fl.Usage()
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	rec, err := record.New(record.Config{
		Upstream: *upstream,
		NoTLS:    *noTLS,
		Title:    *title,
		Captures: *captures,
		Logger:   slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		fmt.Fprintf(stderr, "muctest record: %v\n", err)
		return 2
	}
	// Check that the file can be written before anyone logs in.
	if err := os.WriteFile(*out, nil, 0o644); err != nil {
		fmt.Fprintf(stderr, "muctest record: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "muctest record: %v\n", err)
		return 2
	}
	when := "when the last client disconnects (or on Ctrl-C)"
	if *untilSignal {
		when = "on Ctrl-C"
	}
	fmt.Fprintf(stderr, "muctest record: listening on %s, relaying to %s; the script goes to %s %s\n",
		ln.Addr(), *upstream, *out, when)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if ready != nil {
		ready <- ln.Addr()
	}
	served := make(chan error, 1)
	go func() { served <- rec.Serve(ln) }()
	status := 0
	done := rec.Done()
	if *untilSignal {
		done = nil // a nil channel never fires
	}
	select {
	case <-done:
	case <-sig:
	case err := <-served:
		if err != nil && !errors.Is(err, record.ErrClosed) {
			fmt.Fprintf(stderr, "muctest record: %v\n", err)
			status = 1
		}
	}
	rec.Close()
	script := rec.Script()
	if err := os.WriteFile(*out, script, 0o644); err != nil {
		fmt.Fprintf(stderr, "muctest record: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "muctest record: wrote %s (%d bytes)\n", *out, len(script))
	return status
}
