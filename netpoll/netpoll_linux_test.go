//go:build linux

package netpoll_test

import (
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/muctest/muctest/netpoll"
)

// pair returns the two ends of a loopback TCP connection; the server end
// is the one watched.
func pair(t *testing.T) (watched *net.TCPConn, peer net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); peer.Close() })
	return c.(*net.TCPConn), peer
}

func newPoller(t *testing.T) *netpoll.Poller {
	t.Helper()
	p, err := netpoll.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// fired returns a callback and the channel it signals.
func fired() (func(), chan struct{}) {
	ch := make(chan struct{}, 2)
	return func() { ch <- struct{}{} }, ch
}

func await(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no callback after %s", what)
	}
}

func TestWaitReportsReadiness(t *testing.T) {
	tests := []struct {
		name   string
		before func(peer net.Conn) // before Wait
		after  func(peer net.Conn) // after Wait
	}{
		{"bytes after wait", nil, func(p net.Conn) { p.Write([]byte("<x/>")) }},
		{"bytes already there", func(p net.Conn) { p.Write([]byte("<x/>")) }, nil},
		{"peer closes", nil, func(p net.Conn) { p.Close() }},
		{"peer half-closes", nil, func(p net.Conn) { p.(*net.TCPConn).CloseWrite() }},
		{"peer resets", nil, func(p net.Conn) { p.(*net.TCPConn).SetLinger(0); p.Close() }},
	}
	p := newPoller(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, peer := pair(t)
			if tc.before != nil {
				tc.before(peer)
				// The bytes must be in c's socket before Wait arms it.
				deadline := time.Now().Add(10 * time.Second)
				for netpoll.Unread(c) == 0 && time.Now().Before(deadline) {
					runtime.Gosched()
				}
			}
			f, ch := fired()
			if err := p.Wait(c, uint64(i+1), f); err != nil {
				t.Fatal(err)
			}
			if tc.after != nil {
				tc.after(peer)
			}
			await(t, ch, tc.name)
		})
	}
}

// TestOneShot checks that a callback runs once per Wait, and that the same
// connection can wait again (the fd is re-armed, not added twice).
func TestOneShot(t *testing.T) {
	p := newPoller(t)
	c, peer := pair(t)
	f, ch := fired()
	for round := range 3 {
		if err := p.Wait(c, 7, f); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		peer.Write([]byte("a"))
		await(t, ch, "a write")
		buf := make([]byte, 16)
		if _, err := c.Read(buf); err != nil {
			t.Fatal(err)
		}
		if n := p.Waiting(); n != 0 {
			t.Fatalf("round %d: %d waiting after the callback", round, n)
		}
	}
	select {
	case <-ch:
		t.Fatal("a callback ran twice")
	default:
	}
}

func TestCancel(t *testing.T) {
	p := newPoller(t)
	c, _ := pair(t)
	f, _ := fired()
	if err := p.Wait(c, 1, f); err != nil {
		t.Fatal(err)
	}
	if n := p.Waiting(); n != 1 {
		t.Fatalf("Waiting = %d, want 1", n)
	}
	p.Cancel(1)
	if n := p.Waiting(); n != 0 {
		t.Fatalf("Waiting = %d after Cancel, want 0", n)
	}
}

// TestMany arms a few hundred connections and wakes them all.
func TestMany(t *testing.T) {
	p := newPoller(t)
	const n = 300
	peers := make([]net.Conn, n)
	ch := make(chan int, n)
	for i := range n {
		c, peer := pair(t)
		peers[i] = peer
		if err := p.Wait(c, uint64(i), func() { ch <- i }); err != nil {
			t.Fatal(err)
		}
	}
	for _, peer := range peers {
		peer.Write([]byte("x"))
	}
	seen := make([]bool, n)
	for range n {
		select {
		case i := <-ch:
			if seen[i] {
				t.Fatalf("connection %d woken twice", i)
			}
			seen[i] = true
		case <-time.After(10 * time.Second):
			t.Fatal("not every connection was woken")
		}
	}
}

type badConn struct{}

func (badConn) SyscallConn() (syscall.RawConn, error) { return nil, syscall.EINVAL }

func TestWaitErrors(t *testing.T) {
	p := newPoller(t)
	f, _ := fired()
	if err := p.Wait(badConn{}, 1, f); err == nil {
		t.Error("Wait on a connection without a descriptor succeeded")
	}
	c, _ := pair(t)
	c.Close()
	if err := p.Wait(c, 2, f); err == nil {
		t.Error("Wait on a closed connection succeeded")
	}
	if n := p.Waiting(); n != 0 {
		t.Errorf("Waiting = %d after failed Waits", n)
	}
	if err := p.Wait(c, ^uint64(0), f); err == nil {
		t.Error("Wait with the reserved id succeeded")
	}
	p.Close()
	c2, _ := pair(t)
	if err := p.Wait(c2, 3, f); err != netpoll.ErrClosed {
		t.Errorf("Wait after Close: %v, want ErrClosed", err)
	}
}

func TestCloseStopsGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	p, err := netpoll.New()
	if err != nil {
		t.Fatal(err)
	}
	c, _ := pair(t)
	f, _ := fired()
	if err := p.Wait(c, 1, f); err != nil {
		t.Fatal(err)
	}
	p.Close()
	p.Close() // twice is fine
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines after Close, %d before", n, before)
	}
}

// TestUnusedPollerIsFree checks that a Poller nobody waits in starts no
// goroutine.
func TestUnusedPollerIsFree(t *testing.T) {
	before := runtime.NumGoroutine()
	p, err := netpoll.New()
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine(); n != before {
		t.Errorf("%d goroutines after New, %d before", n, before)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	f, _ := fired()
	c, _ := pair(t)
	if err := p.Wait(c, 1, f); err != netpoll.ErrClosed {
		t.Errorf("Wait after Close: %v, want ErrClosed", err)
	}
}
