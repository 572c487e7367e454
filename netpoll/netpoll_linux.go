//go:build linux

package netpoll

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
)

// Poller waits for connections to become readable. Each Wait is one-shot:
// the callback runs once, after which the connection is no longer watched
// until the next Wait. Create it with New; it is safe for concurrent use.
//
// The epoll instance and the goroutine are made by the first Wait, so that
// a Poller nobody waits in (a short-lived test server whose sessions never
// idle long enough) costs nothing: no descriptors, no thread.
type Poller struct {
	mu      sync.Mutex
	started bool
	epfd    int
	// wake is a pipe whose read end sits in the epoll set: Close writes to
	// it to interrupt epoll_wait.
	wakeR, wakeW int
	waiting      map[uint64]func() // by the id given to Wait
	closed       bool
	done         chan struct{} // closed when the loop goroutine has returned
	fdsOnce      sync.Once     // closes the descriptors after the loop
}

// wakeID is the epoll data of the pipe; ids given to Wait must differ.
const wakeID = ^uint64(0)

// New returns a Poller. Its epoll instance and goroutine start with the
// first Wait; Close stops them.
func New() (*Poller, error) {
	return &Poller{waiting: map[uint64]func(){}, done: make(chan struct{})}, nil
}

// startLocked makes the epoll instance and starts the loop; p.mu is held.
func (p *Poller) startLocked() error {
	if p.started {
		return nil
	}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		_ = syscall.Close(epfd)
		return fmt.Errorf("netpoll: pipe2: %w", err)
	}
	p.epfd, p.wakeR, p.wakeW = epfd, pipe[0], pipe[1]
	ev := event(syscall.EPOLLIN, wakeID)
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wakeR, &ev); err != nil {
		p.closeFDs()
		return fmt.Errorf("netpoll: epoll_ctl: %w", err)
	}
	p.started = true
	go p.loop()
	return nil
}

// event builds an epoll_event carrying id in its 8 data bytes, which the
// syscall package names Fd and Pad on every Linux architecture.
func event(events uint32, id uint64) syscall.EpollEvent {
	var ev syscall.EpollEvent
	ev.Events = events
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
	return ev
}

func eventID(ev *syscall.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// Wait arranges for ready to be called once, from the Poller's goroutine,
// when c has bytes to read, has been shut down by the peer, or has failed;
// at once if that is already so. ready must not block: it typically starts
// a goroutine. id names the registration for Cancel; each connection
// needs its own id, and a Wait for an id replaces any earlier one.
//
// The connection must stay open until ready has run or Cancel was called:
// closing it silently drops it from the epoll set (no event is reported),
// which is why callers that close a waiting connection cancel first or
// call their callback themselves.
func (p *Poller) Wait(c syscall.Conn, id uint64, ready func()) error {
	if id == wakeID {
		return errors.New("netpoll: reserved id")
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return fmt.Errorf("netpoll: %w", err)
	}
	// Registered before the kernel can report anything, so that no event
	// finds the map without its callback.
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if err := p.startLocked(); err != nil {
		p.mu.Unlock()
		return err
	}
	p.waiting[id] = ready
	p.mu.Unlock()
	var ctlErr error
	err = rc.Control(func(fd uintptr) {
		ev := event(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLONESHOT, id)
		// An fd stays in the set, disarmed, after its one-shot event:
		// re-arm it. A connection seen for the first time is added.
		ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		if errors.Is(ctlErr, syscall.ENOENT) {
			ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		}
	})
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		p.Cancel(id)
		return fmt.Errorf("netpoll: epoll_ctl: %w", err)
	}
	return nil
}

// Cancel forgets the callback of id, if it has not run yet. The kernel may
// still report the connection once; such a late event is ignored (or, if
// id waits again by then, wakes that later Wait early, which callers must
// tolerate as a spurious wake-up).
func (p *Poller) Cancel(id uint64) {
	p.mu.Lock()
	delete(p.waiting, id)
	p.mu.Unlock()
}

// Waiting returns how many callbacks are registered: idle connections.
func (p *Poller) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting)
}

// Close stops the Poller's goroutine and waits for it. Callbacks that have
// not run are dropped: by then their owners must have been woken by other
// means (a server closes its connections first).
func (p *Poller) Close() error {
	p.mu.Lock()
	already := p.closed // by an earlier Close, or by a broken loop
	p.closed = true
	p.waiting = map[uint64]func(){}
	started := p.started
	p.mu.Unlock()
	if !started {
		return nil
	}
	if !already {
		_, _ = syscall.Write(p.wakeW, []byte{0})
	}
	<-p.done
	p.fdsOnce.Do(p.closeFDs)
	return nil
}

func (p *Poller) closeFDs() {
	_ = syscall.Close(p.wakeR)
	_ = syscall.Close(p.wakeW)
	_ = syscall.Close(p.epfd)
}

// loop collects events and runs their callbacks until Close. epoll_wait
// blocks in a system call, so the loop holds one OS thread, not a P.
func (p *Poller) loop() {
	defer close(p.done)
	var events [128]syscall.EpollEvent
	ready := make([]func(), 0, len(events))
	for {
		n, err := syscall.EpollWait(p.epfd, events[:], -1)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			// Only a broken epoll instance fails here: nothing can be
			// watched any more. Refuse further Waits and wake everyone
			// waiting, so that each goes back to a blocking read (a
			// spurious wake-up, which callers tolerate).
			p.mu.Lock()
			p.closed = true
			waiting := p.waiting
			p.waiting = map[uint64]func(){}
			p.mu.Unlock()
			for _, f := range waiting {
				f()
			}
			return
		}
		ready = ready[:0]
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return
		}
		for i := range n {
			id := eventID(&events[i])
			if f, ok := p.waiting[id]; ok && id != wakeID {
				delete(p.waiting, id)
				ready = append(ready, f)
			}
		}
		p.mu.Unlock()
		for i, f := range ready {
			f()
			ready[i] = nil
		}
	}
}
