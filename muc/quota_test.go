package muc

import (
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// TestQuotaRooms: past MaxRooms a new room is refused
// wait/resource-constraint from the service; admins are exempt.
func TestQuotaRooms(t *testing.T) {
	h := newHarness(t)
	h.svc.cfg.Limits.MaxRooms = 2
	h.createRoom(romeo, "a", "r", nil)
	h.createRoom(romeo, "b", "r", nil)
	got := h.join(juliet, "c", "j")
	if len(got) != 1 || errCond(got[0]) != "resource-constraint" || got[0].Child("jabber:client", "error").Attrib("type") != "wait" {
		t.Fatalf("third room: %s", dump(got))
	}
	if by := got[0].Child("jabber:client", "error").Attrib("by"); by != service {
		t.Errorf("refusal by %q, want the service (Prosody's error_by)", by)
	}
	if len(h.svc.rooms) != 2 {
		t.Fatalf("%d rooms", len(h.svc.rooms))
	}
	h.join(admin, "d", "boss")
	if len(h.svc.rooms) != 3 {
		t.Errorf("an admin could not create a room past the quota")
	}
}

// TestQuotaArchiveTotal: every room's archive together stays within
// ArchiveTotalBytes, and a room that goes gives its bytes back.
func TestQuotaArchiveTotal(t *testing.T) {
	h := newHarness(t)
	h.svc.cfg.Limits.ArchiveTotalBytes = 3000
	h.createRoom(romeo, "a", "r", nil)
	h.createRoom(juliet, "b", "j", nil)
	body := strings.Repeat("x", 500)
	for range 5 {
		h.send(romeo, `<message type='groupchat' to='a@`+service+`'><body>`+body+`</body></message>`)
		h.send(juliet, `<message type='groupchat' to='b@`+service+`'><body>`+body+`</body></message>`)
	}
	if h.svc.archBytes == 0 || h.svc.archBytes > 3000 {
		t.Fatalf("room archives hold %d bytes, want some, at most 3000", h.svc.archBytes)
	}
	sum := int64(0)
	for _, r := range h.svc.rooms {
		if r.arch != nil {
			sum += r.arch.Bytes()
		}
	}
	if sum != h.svc.archBytes {
		t.Fatalf("total %d, rooms hold %d", h.svc.archBytes, sum)
	}
	h.send(romeo, `<presence type='unavailable' to='a@`+service+`/r'/>`)
	h.send(juliet, `<presence type='unavailable' to='b@`+service+`/j'/>`)
	if len(h.svc.rooms) != 0 || h.svc.archBytes != 0 {
		t.Errorf("%d rooms and %d archived bytes left after everyone left", len(h.svc.rooms), h.svc.archBytes)
	}
}

// TestQuotaRegistered: past MaxRegistered a registration is refused
// wait/resource-constraint, and a nickname's owner is found by its index.
func TestQuotaRegistered(t *testing.T) {
	h := newHarness(t)
	h.svc.cfg.Limits.MaxRegistered = 1
	h.createRoom(romeo, "a", "r", nil)
	r := h.svc.rooms["a@"+service]
	r.setAffiliationRaw("juliet@localhost", affMember)
	r.setAffiliationRaw("nurse@localhost", affMember)
	reg := func(from, nick string) string {
		got := h.send(from, `<iq type='set' id='reg' to='a@`+service+`'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>`+nick+`</value></field></x></query></iq>`)
		if len(got) == 0 {
			t.Fatalf("no answer to %s's registration", from)
		}
		return got[len(got)-1].Attrib("type") + "/" + errCond(got[len(got)-1])
	}
	if got := reg(juliet, "jules"); got != "result/" {
		t.Fatalf("first registration: %s", got)
	}
	if got := reg(nurse, "nanny"); got != "error/resource-constraint" {
		t.Fatalf("second registration: %s", got)
	}
	if r.registeredJID("jules") != "juliet@localhost" || r.registeredJID("nanny") != "" {
		t.Errorf("nickname index: jules=%q nanny=%q", r.registeredJID("jules"), r.registeredJID("nanny"))
	}
}

// errCond is the defined condition of an error stanza, "" for others.
func errCond(st *xmlnode.Element) string {
	if e := st.Child("jabber:client", "error"); e != nil {
		for _, c := range e.Elements() {
			if c.Name.Local != "text" {
				return c.Name.Local
			}
		}
	}
	return ""
}
