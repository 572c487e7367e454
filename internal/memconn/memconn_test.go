package memconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

var (
	addrA = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 20001}
	addrB = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5222}
)

// result is what one call returned, for the tables below.
type result struct {
	n   int
	err error
}

// goRead starts a Read of up to n bytes on c and returns where its result
// arrives.
func goRead(c *Conn, n int) (<-chan result, []byte) {
	b := make([]byte, n)
	ch := make(chan result, 1)
	go func() {
		n, err := c.Read(b)
		ch <- result{n, err}
	}()
	return ch, b
}

// goWrite starts a Write of b on c.
func goWrite(c *Conn, b []byte) <-chan result {
	ch := make(chan result, 1)
	go func() {
		n, err := c.Write(b)
		ch <- result{n, err}
	}()
	return ch
}

// blocked reports whether nothing has arrived on ch once every goroutine
// of the bubble is blocked.
func blocked(ch <-chan result) bool {
	synctest.Wait()
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

func TestPairAddrs(t *testing.T) {
	a, b := Pair(addrA, addrB, 0)
	for _, tc := range []struct {
		name      string
		got, want net.Addr
	}{
		{"a local", a.LocalAddr(), addrA},
		{"a remote", a.RemoteAddr(), addrB},
		{"b local", b.LocalAddr(), addrB},
		{"b remote", b.RemoteAddr(), addrA},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	a.Close()
	b.Close()
}

// TestReadWrite: the pair carries bytes both ways, in order, in reads of
// any size, and buffers writes nobody reads yet (both ends may write
// before either reads, which deadlocks net.Pipe).
func TestReadWrite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes []string
		bufLen int // each read's buffer
		want   []string
	}{
		{"one write one read", []string{"<stream>"}, 64, []string{"<stream>"}},
		{"writes coalesce", []string{"<a/>", "<b/>", "<c/>"}, 64, []string{"<a/><b/><c/>"}},
		{"short reads", []string{"abcdefg"}, 3, []string{"abc", "def", "g"}},
		{"empty write", []string{"", "x"}, 8, []string{"x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := Pair(addrA, addrB, 0)
			defer a.Close()
			defer b.Close()
			for _, w := range tc.writes {
				if n, err := a.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("a.Write(%q) = %d, %v", w, n, err)
				}
				// The other way at the same time: nothing waits for a reader.
				if _, err := b.Write([]byte(w)); err != nil {
					t.Fatalf("b.Write: %v", err)
				}
			}
			for _, c := range []*Conn{b, a} {
				buf := make([]byte, tc.bufLen)
				for _, want := range tc.want {
					n, err := c.Read(buf)
					if err != nil || string(buf[:n]) != want {
						t.Fatalf("Read = %q, %v; want %q", buf[:n], err, want)
					}
				}
				if got := c.Buffered(); got != 0 {
					t.Errorf("Buffered after reading everything = %d", got)
				}
			}
		})
	}
}

// TestZeroRead: an empty read returns at once, whether bytes wait or not.
func TestZeroRead(t *testing.T) {
	a, b := Pair(addrA, addrB, 0)
	defer a.Close()
	defer b.Close()
	if n, err := b.Read(nil); n != 0 || err != nil {
		t.Fatalf("empty Read = %d, %v", n, err)
	}
}

// TestReadWaits: a read waits for the peer's first write and returns what
// it wrote, without waiting to fill its buffer.
func TestReadWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := Pair(addrA, addrB, 0)
		defer a.Close()
		defer b.Close()
		got, buf := goRead(b, 100)
		if !blocked(got) {
			t.Fatal("Read returned with nothing written")
		}
		a.Write([]byte("hello"))
		if r := <-got; r.err != nil || string(buf[:r.n]) != "hello" {
			t.Fatalf("Read = %q, %v", buf[:r.n], r.err)
		}
	})
}

// TestBounded: a writer blocks while the peer's buffer is full, and goes
// on as the peer reads; what it wrote arrives whole and in order.
func TestBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size = 8
		a, b := Pair(addrA, addrB, size)
		defer a.Close()
		defer b.Close()
		msg := []byte("0123456789abcdefghij") // 20 bytes: two and a half buffers
		done := goWrite(a, msg)
		if !blocked(done) {
			t.Fatal("Write of more than the buffer returned with nothing read")
		}
		if got := b.Buffered(); got != size {
			t.Fatalf("Buffered = %d, want %d (the writer fills the buffer before it waits)", got, size)
		}
		var got []byte
		buf := make([]byte, 5)
		for len(got) < len(msg) {
			n, err := b.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
		}
		if r := <-done; r.n != len(msg) || r.err != nil {
			t.Fatalf("Write = %d, %v", r.n, r.err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("read %q, want %q", got, msg)
		}
	})
}

// TestDeadlines: each deadline fails its own direction's waiting and later
// calls with a timeout that wraps os.ErrDeadlineExceeded, once it passes
// (in the future, or set in the past under a blocked call); the zero time
// or a later one lifts it.
func TestDeadlines(t *testing.T) {
	type op int
	const (
		read op = iota
		write
	)
	for _, tc := range []struct {
		name string
		op   op
		set  func(c *Conn, t time.Time) error
	}{
		{"read deadline", read, (*Conn).SetReadDeadline},
		{"deadline on reads", read, (*Conn).SetDeadline},
		{"write deadline", write, (*Conn).SetWriteDeadline},
		{"deadline on writes", write, (*Conn).SetDeadline},
	} {
		// start begins the blocking call on a (a read with nothing sent,
		// or a write past a full buffer).
		start := func(a *Conn) <-chan result {
			if tc.op == read {
				ch, _ := goRead(a, 8)
				return ch
			}
			return goWrite(a, make([]byte, 16))
		}
		// wantTimeout checks a call ended by its deadline after n bytes.
		wantTimeout := func(t *testing.T, r result, n int) {
			t.Helper()
			var ne net.Error
			if !errors.Is(r.err, os.ErrDeadlineExceeded) || !errors.As(r.err, &ne) || !ne.Timeout() {
				t.Fatalf("got %d, %v; want a timeout", r.n, r.err)
			}
			if r.n != n {
				t.Errorf("timed out after %d bytes, want %d", r.n, n)
			}
		}
		// written is what start's call gets done before it blocks: a
		// write fills the buffer of 4.
		written := 0
		if tc.op == write {
			written = 4
		}
		t.Run(tc.name+"/passes while waiting", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := Pair(addrA, addrB, 4)
				defer b.Close()
				defer a.Close()
				tc.set(a, time.Now().Add(time.Second))
				ch := start(a)
				if !blocked(ch) {
					t.Fatal("returned before the deadline")
				}
				time.Sleep(time.Second) // the bubble's clock
				wantTimeout(t, <-ch, written)
			})
		})
		t.Run(tc.name+"/set in the past under a waiting call", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := Pair(addrA, addrB, 4)
				defer b.Close()
				defer a.Close()
				ch := start(a)
				if !blocked(ch) {
					t.Fatal("returned with no deadline")
				}
				tc.set(a, time.Unix(1, 0))
				wantTimeout(t, <-ch, written)
			})
		})
		t.Run(tc.name+"/moved later", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := Pair(addrA, addrB, 4)
				defer b.Close()
				defer a.Close()
				tc.set(a, time.Now().Add(time.Second))
				ch := start(a)
				tc.set(a, time.Now().Add(time.Hour))
				time.Sleep(2 * time.Second)
				if !blocked(ch) {
					t.Fatal("the first deadline still fired")
				}
				tc.set(a, time.Time{})
				time.Sleep(2 * time.Hour)
				if !blocked(ch) {
					t.Fatal("a cleared deadline fired")
				}
				a.Close() // ends the call
				<-ch
			})
		})
		t.Run(tc.name+"/lifted after it passed", func(t *testing.T) {
			a, b := Pair(addrA, addrB, 4)
			defer b.Close()
			defer a.Close()
			tc.set(a, time.Unix(1, 0))
			var r result
			if tc.op == read {
				b.Write([]byte("x")) // waiting bytes do not beat the deadline
				r.n, r.err = a.Read(make([]byte, 8))
			} else {
				r.n, r.err = a.Write([]byte("xyzw"))
			}
			wantTimeout(t, r, 0)
			tc.set(a, time.Time{})
			if tc.op == read {
				if n, err := a.Read(make([]byte, 8)); n != 1 || err != nil {
					t.Fatalf("Read after the deadline was lifted = %d, %v", n, err)
				}
			} else if n, err := a.Write([]byte("xyzw")); n != 4 || err != nil {
				t.Fatalf("Write after the deadline was lifted = %d, %v", n, err)
			}
		})
	}
}

// TestDeadlineOneDirection: a read deadline leaves writes alone and a
// write deadline reads.
func TestDeadlineOneDirection(t *testing.T) {
	a, b := Pair(addrA, addrB, 0)
	defer a.Close()
	defer b.Close()
	a.SetReadDeadline(time.Unix(1, 0))
	if _, err := a.Write([]byte("x")); err != nil {
		t.Fatalf("Write under a passed read deadline: %v", err)
	}
	b.SetWriteDeadline(time.Unix(1, 0))
	if n, err := b.Read(make([]byte, 4)); n != 1 || err != nil {
		t.Fatalf("Read under a passed write deadline = %d, %v", n, err)
	}
}

// TestClose: Close fails the end's own calls, blocked or later, with
// net.ErrClosed; the peer reads what was buffered, then io.EOF, and its
// writes fail with EPIPE, blocked or later.
func TestClose(t *testing.T) {
	isClosed := func(err error) bool { return errors.Is(err, net.ErrClosed) }
	isEOF := func(err error) bool { return err == io.EOF }
	isPipe := func(err error) bool { return errors.Is(err, syscall.EPIPE) }
	for _, tc := range []struct {
		name string
		// run does its call on a after b wrote "left" to a, with a's own
		// buffer to b full (size 4), while the bubble runs; close is
		// called once it blocks (or at once, for a call that would not).
		run    func(a, b *Conn) <-chan result
		closeA bool // close a (else b)
		wantN  int
		want   func(error) bool
	}{
		{"blocked read on the closed end", func(a, b *Conn) <-chan result { a.Read(make([]byte, 8)); ch, _ := goRead(a, 8); return ch }, true, 0, isClosed},
		{"blocked write on the closed end", func(a, b *Conn) <-chan result { return goWrite(a, []byte("xy")) }, true, 0, isClosed},
		{"blocked write to the closed peer", func(a, b *Conn) <-chan result { return goWrite(a, []byte("xy")) }, false, 0, isPipe},
		{"read from the closed peer gets the buffered bytes", func(a, b *Conn) <-chan result { ch, _ := goRead(a, 8); return ch }, false, 4, func(err error) bool { return err == nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b := Pair(addrA, addrB, 4)
				b.Write([]byte("left"))
				a.Write([]byte("full"))
				ch := tc.run(a, b)
				synctest.Wait()
				if tc.closeA {
					a.Close()
				} else {
					b.Close()
				}
				r := <-ch
				if r.n != tc.wantN || !tc.want(r.err) {
					t.Fatalf("got %d, %v", r.n, r.err)
				}
				a.Close()
				b.Close()
			})
		})
	}
	t.Run("after close", func(t *testing.T) {
		a, b := Pair(addrA, addrB, 0)
		b.Write([]byte("bye"))
		b.Close()
		buf := make([]byte, 8)
		if n, err := a.Read(buf); string(buf[:n]) != "bye" || err != nil {
			t.Fatalf("Read of the closed peer's bytes = %q, %v", buf[:n], err)
		}
		if _, err := a.Read(buf); !isEOF(err) {
			t.Fatalf("Read past the closed peer's bytes: %v, want io.EOF", err)
		}
		if _, err := a.Write([]byte("x")); !isPipe(err) {
			t.Fatalf("Write to the closed peer: %v, want EPIPE", err)
		}
		for name, err := range map[string]error{
			"Read":             func() error { _, err := b.Read(buf); return err }(),
			"Write":            func() error { _, err := b.Write(buf); return err }(),
			"Close":            b.Close(),
			"CloseWrite":       b.CloseWrite(),
			"SetDeadline":      b.SetDeadline(time.Now()),
			"SetReadDeadline":  b.SetReadDeadline(time.Now()),
			"SetWriteDeadline": b.SetWriteDeadline(time.Now()),
		} {
			var oe *net.OpError
			if !isClosed(err) || !errors.As(err, &oe) {
				t.Errorf("%s on the closed end: %v, want an *net.OpError for net.ErrClosed", name, err)
			}
		}
		a.Close()
	})
}

// TestCloseWrite: the half-close ends the peer's reads after the buffered
// bytes while this end still reads and the peer still writes; this end's
// writes fail with EPIPE.
func TestCloseWrite(t *testing.T) {
	a, b := Pair(addrA, addrB, 0)
	defer a.Close()
	defer b.Close()
	a.Write([]byte("</stream>"))
	if err := a.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Write after CloseWrite: %v, want EPIPE", err)
	}
	got, err := io.ReadAll(b)
	if string(got) != "</stream>" || err != nil {
		t.Fatalf("peer read %q, %v", got, err)
	}
	if _, err := b.Write([]byte("</stream>")); err != nil {
		t.Fatalf("the peer's Write after our half-close: %v", err)
	}
	buf := make([]byte, 16)
	if n, err := a.Read(buf); string(buf[:n]) != "</stream>" || err != nil {
		t.Fatalf("Read after our half-close = %q, %v", buf[:n], err)
	}
}

// TestConcurrent, under -race, has several writers and readers on both
// ends of a small buffer at once: every byte arrives exactly once, and
// each writer's bytes in order.
func TestConcurrent(t *testing.T) {
	const (
		writers = 4
		each    = 2000 // writes per writer, of writer-tagged records
	)
	a, b := Pair(addrA, addrB, 64)
	var wg sync.WaitGroup
	for _, pair := range [][2]*Conn{{a, b}, {b, a}} {
		w, r := pair[0], pair[1]
		var wwg sync.WaitGroup
		for i := range writers {
			wwg.Add(1)
			go func() {
				defer wwg.Done()
				// One-byte writes, each tagged with its writer: a write
				// of one byte is never split.
				for range each {
					if _, err := w.Write([]byte{byte(i)}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			wwg.Wait()
			w.CloseWrite()
		}()
		counts := make([][writers]int, 2)
		var rwg sync.WaitGroup
		for k := range 2 {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				buf := make([]byte, 7)
				for {
					n, err := r.Read(buf)
					for _, c := range buf[:n] {
						counts[k][c]++
					}
					if err == io.EOF {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rwg.Wait()
			for i := range writers {
				if got := counts[0][i] + counts[1][i]; got != each {
					t.Errorf("writer %d: %d bytes arrived, want %d", i, got, each)
				}
			}
		}()
	}
	wg.Wait()
	a.Close()
	b.Close()
}
