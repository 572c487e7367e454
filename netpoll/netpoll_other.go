//go:build !linux

package netpoll

import "syscall"

// Poller is not implemented on this system; New always fails.
type Poller struct{}

// New returns ErrUnsupported.
func New() (*Poller, error) { return nil, ErrUnsupported }

// Wait returns ErrUnsupported.
func (p *Poller) Wait(c syscall.Conn, id uint64, ready func()) error { return ErrUnsupported }

// Cancel does nothing.
func (p *Poller) Cancel(id uint64) {}

// Waiting returns 0.
func (p *Poller) Waiting() int { return 0 }

// Close does nothing.
func (p *Poller) Close() error { return nil }
