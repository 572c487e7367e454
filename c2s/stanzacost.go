package c2s

import "github.com/muctest/muctest/xmlnode"

// This file makes every stanza count against its client's read allowance
// (ratelimit.go) as Limits.StanzaCost bytes on top of its own size.
//
// What a stanza costs the server is mostly per stanza, not per byte: it is
// parsed into a tree, routed under the router's lock (once for the stanza,
// once more for a reply), answered, serialised and written. A flood of
// 170-byte XEP-0363 slot requests at the default allowance of 64 KiB/s is
// about 380 stanzas a second per account; two hundred such accounts asked
// for 76,000 stanzas and as many replies a second, more than two cores
// give, so that every flooding session stayed within its allowance (the
// server never caught up with what it let them send), none ever waited for
// a turn, and a witness's ping queued behind two hundred sessions on the
// router's lock for over a second (mucattack upload-slot-flood; execution
// trace: 156 s of goroutine time runnable over 3 s). Counted at 1 KiB
// more each, the same account gets about 55 such stanzas a second, and
// the two hundred together about 11,000: well within what the server
// serves while the witness's round trip stays in milliseconds.
//
// A person's client is far below it: a chat message, a presence or an iq
// is one stanza, a login a dozen or two, and the burst (Limits.ReadBurst,
// 256 KiB by default) lets a client that was quiet send some two hundred
// small stanzas at once (a login that joins many rooms) before it is read
// at its rate. Prosody's mod_limits counts bytes only; its default of
// 10 kB/s leaves a client of small stanzas fewer still.

// DefaultStanzaCost is the Limits.StanzaCost cmd/mucd sets, with
// DefaultReadRate.
const DefaultStanzaCost = 1 << 10

// What a stanza costs also grows with its elements, not with its bytes:
// every element is a node to allocate, copy where the stanza is kept or
// fanned out, and serialise again, and <a/> is four bytes on the wire. A
// presence of 4,900 empty elements (20 KB) from each of 250 accounts at
// their 64 KiB/s kept the router's lock busy copying and serialising
// trees for seconds after the attack stopped, so that the witness could
// not log in (mucattack roster-pending-tree-hoard). Each element past the
// first freeElements counts elementCost bytes more, as StanzaCost does for
// the stanza: a real stanza has a dozen elements and pays nothing, that
// presence about 300 KB, five seconds of the default allowance.
const (
	freeElements = 32
	elementCost  = 64
)

// stanzaCost is the limits' StanzaCost: zero when reads are not limited.
func (l *Limits) stanzaCost() int {
	if l.ReadRate <= 0 || l.StanzaCost <= 0 {
		return 0
	}
	return int(min(l.StanzaCost, 1<<30))
}

// chargeStanza counts el, the stanza the session has just read, against
// its allowance, as StanzaCost bytes read now, and elementCost more for
// each of its elements past freeElements: the next read waits for it, as
// for bytes. It runs in the reader goroutine, which alone moves the
// session's own bucket.
func (s *Session) chargeStanza(el *xmlnode.Element) {
	n := s.limits.stanzaCost()
	if n == 0 {
		return
	}
	if extra := el.CountWithin(1<<20) - freeElements; extra > 0 {
		n += extra * elementCost
	}
	if c := s.tracked(); c != nil {
		c.charge(n, readClock())
	}
}
