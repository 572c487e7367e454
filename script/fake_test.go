package script

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// fakeServer is a tiny XMPP server for the runner's own tests: PLAIN
// accepting anything, bind, ping replies, presence echoed to its sender and
// messages routed to full or bare JIDs. It routes synchronously in the
// sender's goroutine, like the real one, so the runner's sync pings make
// runs deterministic without WaitIdle.
type fakeServer struct {
	ln   net.Listener
	mu   sync.Mutex
	sess map[string]*fakeSession // by full JID
	n    int
	wg   sync.WaitGroup
}

type fakeSession struct {
	mu   sync.Mutex
	conn net.Conn
	full string
}

func (s *fakeSession) write(str string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	io.WriteString(s.conn, str)
}

func startFake(t *testing.T) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{ln: ln, sess: map[string]*fakeSession{}}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				f.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		for _, s := range f.sess {
			s.conn.Close()
		}
		f.mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) addr() string { return f.ln.Addr().String() }

func (f *fakeServer) serve(c net.Conn) {
	var user string
	sess := &fakeSession{conn: c}
	for stage := 0; stage < 2; stage++ {
		dec := xml.NewDecoder(bufio.NewReader(c))
		if _, err := readStart(dec); err != nil {
			return
		}
		io.WriteString(c, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='localhost' id='x' version='1.0'>")
		if stage == 0 {
			io.WriteString(c, "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
			el, err := readEl(dec)
			if err != nil {
				return
			}
			user = plainUser(el.Text())
			io.WriteString(c, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
			continue
		}
		io.WriteString(c, "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>")
		el, err := readEl(dec)
		if err != nil {
			return
		}
		res := el.Child("", "bind").ChildText("", "resource")
		f.mu.Lock()
		f.n++
		if res == "" {
			res = fmt.Sprintf("gen%d", f.n)
		}
		sess.full = user + "@localhost/" + res
		f.sess[sess.full] = sess
		f.mu.Unlock()
		sess.write("<iq type='result' id='" + el.Attrib("id") + "'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>" + sess.full + "</jid></bind></iq>")
		defer func() {
			f.mu.Lock()
			delete(f.sess, sess.full)
			f.mu.Unlock()
		}()
		for {
			st, err := xmlnode.ReadNext(dec, xmlnode.Limits{})
			if errors.Is(err, xmlnode.ErrEnd) {
				// Closing handshake: tell the others first.
				f.route(sess, xmlnode.MustParse(`<presence xmlns="jabber:client" type="unavailable" to="everyone"/>`))
				sess.write("</stream:stream>")
				return
			}
			if err != nil {
				return
			}
			f.route(sess, st)
		}
	}
}

func (f *fakeServer) route(from *fakeSession, st *xmlnode.Element) {
	st.SetAttr("from", from.full)
	to := st.Attrib("to")
	switch {
	case st.Name.Local == "iq" && to == "localhost" && st.Child("urn:xmpp:ping", "ping") != nil:
		from.write(fmt.Sprintf("<iq type='result' from='localhost' id='%s'/>", st.Attrib("id")))
	case st.Name.Local == "presence" && to == "":
		from.write(string(st.AppendTo(nil, "jabber:client")))
	case to == "everyone":
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, s := range f.sess {
			if s != from {
				s.write(string(st.AppendTo(nil, "jabber:client")))
			}
		}
	default:
		f.mu.Lock()
		defer f.mu.Unlock()
		for full, s := range f.sess {
			if full == to || strings.HasPrefix(full, to+"/") {
				s.write(string(st.AppendTo(nil, "jabber:client")))
			}
		}
	}
}

func readStart(dec *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := dec.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if s, ok := tok.(xml.StartElement); ok {
			return s, nil
		}
	}
}

func readEl(dec *xml.Decoder) (*xmlnode.Element, error) {
	s, err := readStart(dec)
	if err != nil {
		return nil, err
	}
	return xmlnode.Read(dec, s, xmlnode.Limits{})
}

func plainUser(b64 string) string {
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	parts := strings.Split(string(raw), "\x00")
	if len(parts) >= 2 {
		return parts[1]
	}
	return "unknown"
}
