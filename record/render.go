package record

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/xmlnode"
)

// Recording is what the proxy saw: the clients and, in the order the proxy
// read them, their stanzas. Render turns it into a script; tests build one
// by hand to check the rendering without a network.
type Recording struct {
	Title    string
	Upstream string
	Started  time.Time
	Ended    time.Time
	Clients  []*ClientInfo
	Events   []Event
	// Truncated says the byte quota cut the recording short.
	Truncated bool
	// Captures writes a made-up value that a client receives more than
	// once (an occupant-id, a stanza-id) as {scansion:capture:NAME} rather
	// than {scansion:any}, so that a replay checks the server keeps it
	// the same. It needs a runner that knows captures, as muctest's does
	// (muctest record sets it unless -captures=false).
	Captures bool
}

// ClientInfo is one client connection as the proxy learned it during
// negotiation.
type ClientInfo struct {
	ID        int    // order of connection, from 1
	Mechanism string // the SASL mechanism the client used
	User      string // the authcid of SASL PLAIN, "" for others
	Password  string // the password of SASL PLAIN, "" for others
	Resource  string // the resource the client asked for at bind, if any
	JID       string // the full JID the server bound
	TLS       bool   // the client did STARTTLS with the proxy
}

// EventKind says what happened to a client.
type EventKind int

// The events of a recording.
const (
	Connected    EventKind = iota // the client bound a resource
	Sent                          // the client sent Stanza
	Received                      // the server sent Stanza to the client
	Disconnected                  // the client's stream or connection ended
)

// Event is one thing that happened, in the order the proxy saw it.
type Event struct {
	Kind   EventKind
	Client *ClientInfo
	Stanza *xmlnode.Element
	Time   time.Time
	// Dropped, on a Disconnected event, says the connection ended without
	// the client's </stream:stream>; StreamError, that the server ended
	// the stream with that stream error condition.
	Dropped     bool
	StreamError string
}

// Names are the names scripts give clients, in order of appearance, as in
// Prosody's scansion scripts; the thirteenth client is "Client 13".
var Names = []string{"Romeo", "Juliet", "Mercutio", "Tybalt", "Benvolio", "Nurse",
	"Paris", "Capulet", "Montague", "Balthasar", "Sampson", "Gregory"}

func nameFor(i int) string {
	if i < len(Names) {
		return Names[i]
	}
	return fmt.Sprintf("Client %d", i+1)
}

// timestamp matches XEP-0082 dates and times in text, which never repeat.
var timestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

// renderer holds what Render works out before writing.
type renderer struct {
	rec    *Recording
	names  map[*ClientInfo]string
	order  []*ClientInfo
	locals map[string]bool // bare JIDs of the recorded clients
	subs   []substitution  // longest JID first
}

type substitution struct{ jid, placeholder string }

func bareJID(j string) string {
	b, _, _ := strings.Cut(j, "/")
	return b
}

func domainOf(j string) string {
	b := bareJID(j)
	if _, d, ok := strings.Cut(b, "@"); ok {
		return d
	}
	return b
}

// Render writes the recording as a scansion script (see the package doc
// for what is left out and what is generalised).
func (r *Recording) Render() []byte {
	rn := &renderer{rec: r, names: map[*ClientInfo]string{}, locals: map[string]bool{}}
	for _, e := range r.Events {
		if e.Kind == Connected && e.Client != nil && e.Client.JID != "" {
			if _, ok := rn.names[e.Client]; !ok {
				rn.names[e.Client] = nameFor(len(rn.order))
				rn.order = append(rn.order, e.Client)
			}
		}
	}
	// ${Name's JID} is the JID a client is declared with (scansion's
	// meaning): only a client declared without a resource stands for its
	// bare JID; the bare JID of one declared with a resource is written out.
	bareTaken := map[string]bool{}
	for _, c := range rn.order {
		n := rn.names[c]
		rn.subs = append(rn.subs, substitution{c.JID, "${" + n + "'s full JID}"})
		b := bareJID(c.JID)
		rn.locals[b] = true
		if c.Resource == "" && !bareTaken[b] {
			bareTaken[b] = true
			rn.subs = append(rn.subs, substitution{b, "${" + n + "'s JID}"})
		}
	}
	sort.SliceStable(rn.subs, func(i, j int) bool { return len(rn.subs[i].jid) > len(rn.subs[j].jid) })

	var b strings.Builder
	title := r.Title
	if title == "" {
		title = "Recorded session"
	}
	fmt.Fprintf(&b, "# %s\n", oneLine(title))
	fmt.Fprintf(&b, "# Recorded by muctest record in front of %s", oneLine(r.Upstream))
	if !r.Started.IsZero() {
		fmt.Fprintf(&b, " on %s", r.Started.UTC().Format(time.RFC3339))
	}
	b.WriteString(".\n")
	for _, c := range rn.order {
		b.WriteString("\n")
		if c.Password == "" {
			mech := c.Mechanism
			if mech == "" {
				mech = "no SASL mechanism the recorder saw"
			}
			fmt.Fprintf(&b, "# %s authenticated with %s: the recorder did not see the password.\n", rn.names[c], mech)
		}
		jid := bareJID(c.JID)
		if c.Resource != "" {
			jid += "/" + c.Resource
		}
		fmt.Fprintf(&b, "[Client] %s\n\tjid: %s\n", rn.names[c], jid)
		pw := c.Password
		if pw == "" {
			pw = "password"
		}
		fmt.Fprintf(&b, "\tpassword: %s\n", oneLine(pw))
	}
	b.WriteString("\n---------\n")
	rn.steps(&b)
	if r.Truncated {
		b.WriteString("\n# The recording was cut here: it reached its size limit.\n")
	}
	if !r.Ended.IsZero() {
		fmt.Fprintf(&b, "\n# recording ended on %s\n", r.Ended.UTC().Format(time.RFC3339))
	}
	return []byte(b.String())
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// streamConditions are the stream error conditions of RFC 6120 section
// 4.9.3, the ones a script can name.
var streamConditions = map[string]bool{}

func init() {
	for _, c := range strings.Fields(`bad-format bad-namespace-prefix conflict connection-timeout host-gone
		host-unknown improper-addressing internal-server-error invalid-from invalid-namespace invalid-xml
		not-authorized not-well-formed policy-violation remote-connection-failed reset resource-constraint
		restricted-xml see-other-host system-shutdown undefined-condition unsupported-encoding
		unsupported-feature unsupported-stanza-type unsupported-version`) {
		streamConditions[c] = true
	}
}

// replyKey names an iq exchange of one client.
type replyKey struct {
	c  *ClientInfo
	id string
}

// steps writes the steps, leaving the noise out. With Captures it first
// runs once without writing, to count how often each made-up value is
// received.
func (rn *renderer) steps(b *strings.Builder) {
	if !rn.rec.Captures {
		rn.writeSteps(b, func(string, string) string { return match.Any })
		return
	}
	seen := map[string]int{}
	rn.writeSteps(&strings.Builder{}, func(_, v string) string {
		seen[v]++
		return match.Any
	})
	names := map[string]string{}
	perName := map[string]int{}
	rn.writeSteps(b, func(attr, v string) string {
		if seen[v] < 2 || attr == "stamp" {
			return match.Any
		}
		n, ok := names[v]
		if !ok {
			perName[attr]++
			n = fmt.Sprintf("%s%d", attr, perName[attr])
			names[v] = n
		}
		return "{scansion:capture:" + n + "}"
	})
}

// writeSteps writes the steps; volatile gives what replaces a made-up
// value v of attribute attr ({scansion:any} or a capture).
func (rn *renderer) writeSteps(b *strings.Builder, volatile func(attr, v string) string) {
	dropIncomingReply := map[replyKey]bool{} // replies to a client's noisy request
	dropOutgoingReply := map[replyKey]bool{} // a client's replies to a noisy request
	seenIDs := map[string]bool{}             // ids clients chose, so far
	gone := map[*ClientInfo]bool{}
	var open *ClientInfo // the client whose receives block is open
	for _, e := range rn.rec.Events {
		c := e.Client
		name, ok := rn.names[c]
		if !ok || gone[c] {
			continue
		}
		switch e.Kind {
		case Connected:
			open = nil
			fmt.Fprintf(b, "\n%s connects\n", name)
		case Disconnected:
			open = nil
			gone[c] = true
			switch {
			case streamConditions[e.StreamError]:
				fmt.Fprintf(b, "\n%s receives stream error: %s\n", name, e.StreamError)
			case e.StreamError != "":
				// Not a condition RFC 6120 defines: any stream error.
				fmt.Fprintf(b, "\n%s receives stream error\n", name)
			case e.Dropped:
				fmt.Fprintf(b, "\n%s's connection drops\n", name)
			default:
				fmt.Fprintf(b, "\n%s disconnects\n", name)
			}
		case Sent:
			st := e.Stanza
			if st.Name.Local == "iq" {
				k := replyKey{c, st.Attrib("id")}
				switch st.Attrib("type") {
				case "get", "set":
					if rn.noisyRequest(c, st) {
						dropIncomingReply[k] = true
						continue
					}
				default:
					if dropOutgoingReply[k] {
						continue
					}
				}
			}
			collectIDs(st, seenIDs)
			open = nil
			fmt.Fprintf(b, "\n%s sends:\n", name)
			rn.format(b, st, nsClient, 1)
		case Received:
			st := e.Stanza
			if st.Name.Local == "iq" {
				k := replyKey{c, st.Attrib("id")}
				switch st.Attrib("type") {
				case "get", "set":
					if rn.noisyIncoming(c, st) {
						dropOutgoingReply[k] = true
						continue
					}
				default:
					if dropIncomingReply[k] {
						continue
					}
				}
			}
			st = generalise(st, seenIDs, volatile)
			if open != c {
				fmt.Fprintf(b, "\n%s receives:\n", name)
				open = c
			}
			rn.format(b, st, nsClient, 1)
		}
	}
}

// payload returns the first child element of an iq, or nil.
func payload(st *xmlnode.Element) *xmlnode.Element {
	if els := st.Elements(); len(els) > 0 {
		return els[0]
	}
	return nil
}

// noisyRequest says whether an iq request c sent is login noise: a roster
// fetch, service discovery of the server or of a user, a ping to the
// server.
func (rn *renderer) noisyRequest(c *ClientInfo, st *xmlnode.Element) bool {
	p := payload(st)
	if p == nil {
		return false
	}
	to := st.Attrib("to")
	server := to == "" || to == domainOf(c.JID)
	switch p.Name.Space {
	case nsRoster:
		return st.Attrib("type") == "get"
	case nsDiscoI, nsDiscoIt:
		return server || rn.locals[bareJID(to)]
	case nsPing:
		return server
	}
	return false
}

// noisyIncoming says whether an iq request c received is noise: a roster
// push, a ping from the server, service discovery by the server or a user.
func (rn *renderer) noisyIncoming(c *ClientInfo, st *xmlnode.Element) bool {
	p := payload(st)
	if p == nil {
		return false
	}
	from := st.Attrib("from")
	server := from == "" || from == domainOf(c.JID)
	switch p.Name.Space {
	case nsRoster:
		return server || from == bareJID(c.JID)
	case nsPing:
		return server
	case nsDiscoI, nsDiscoIt:
		return server || rn.locals[bareJID(from)]
	}
	return false
}

// volatileAttrs are the attributes whose values a server makes up afresh
// each run: stanza and archive ids, ad-hoc session ids, delay stamps.
var volatileAttrs = map[string]bool{"id": true, "sessionid": true, "stamp": true}

func collectIDs(e *xmlnode.Element, ids map[string]bool) {
	for _, a := range e.Attr {
		if a.Name.Space == "" && volatileAttrs[a.Name.Local] {
			ids[a.Value] = true
		}
	}
	for _, c := range e.Elements() {
		collectIDs(c, ids)
	}
}

// generalise returns a copy of a received stanza that a fresh server can
// match again: made-up ids and stamps as {scansion:any} (an id a client
// chose earlier stays), timestamp text dropped, and the top-level xml:lang
// left out (it follows the receiving stream's language, not the sender).
func generalise(st *xmlnode.Element, chosen map[string]bool, volatile func(attr, v string) string) *xmlnode.Element {
	st = st.Copy()
	var keep []xml.Attr
	for _, a := range st.Attr {
		if a.Name.Local == "lang" && (a.Name.Space == xmlnode.XMLNamespace || a.Name.Space == "xml") {
			continue
		}
		keep = append(keep, a)
	}
	st.Attr = keep
	var walk func(e *xmlnode.Element)
	walk = func(e *xmlnode.Element) {
		for i, a := range e.Attr {
			if a.Name.Space == "" && volatileAttrs[a.Name.Local] && !(a.Name.Local != "stamp" && chosen[a.Value]) {
				e.Attr[i].Value = volatile(a.Name.Local, a.Value)
			}
		}
		if t := strings.TrimSpace(e.Text()); t != "" && timestamp.MatchString(t) {
			e.SetText("")
		}
		if unordered(e) {
			e.SetAttrNS(nsScansion, "strict", "false")
		}
		for _, c := range e.Elements() {
			walk(c)
		}
	}
	walk(st)
	dropAccountStanzaIDs(st)
	return st
}

// nsSID is XEP-0359's namespace.
const nsSID = "urn:xmpp:sid:0"

// dropAccountStanzaIDs removes from a received message the XEP-0359
// stanza-ids by the recipient's own account that nothing later refers to
// (their id became {scansion:any}): whether a server stamps one depends
// on its archive policy (mucd archives every account, the in-process
// server and Prosody's scansion configuration only once the client used
// MAM), so a script that pinned it would fail on the other. A captured one
// (its id received again, say in a MAM result) stays, and so do the ids of
// a room's archive.
func dropAccountStanzaIDs(st *xmlnode.Element) {
	if st.Name.Local != "message" {
		return
	}
	to := bareJID(st.Attrib("to"))
	st.Children = slices.DeleteFunc(st.Children, func(n xmlnode.Node) bool {
		e, ok := n.(*xmlnode.Element)
		return ok && e.Name.Space == nsSID && e.Name.Local == "stanza-id" &&
			e.Attrib("by") == to && e.Attrib("id") == match.Any
	})
}

// nsScansion is the namespace of the scansion:strict override, written
// with the bare scansion: prefix, which scripts need not declare.
const nsScansion = "scansion"

// unordered says whether e's children are a set that servers send in no
// fixed order: the values of a data form's list-multi and jid-multi fields
// (XEP-0004), and the status codes of a MUC notification (XEP-0045), which
// Prosody builds from hash tables. Such an element is matched loosely
// (scansion:strict="false": its children in any order).
func unordered(e *xmlnode.Element) bool {
	switch e.Name.Space {
	case "jabber:x:data":
		if e.Name.Local != "field" {
			return false
		}
		switch e.Attrib("type") {
		case "list-multi", "jid-multi":
			return true
		}
	case "http://jabber.org/protocol/muc#user":
		return e.Name.Local == "x" && len(e.ChildrenNamed(e.Name.Space, "status")) > 1
	}
	return false
}

// format writes e pretty-printed, one element per line indented by tabs,
// with the namespace declared where it changes and client JIDs replaced by
// their placeholders.
func (rn *renderer) format(b *strings.Builder, e *xmlnode.Element, parentNS string, depth int) {
	indent := strings.Repeat("\t", depth)
	b.WriteString(indent + "<" + e.Name.Local)
	if e.Name.Space != parentNS {
		b.WriteString(` xmlns="` + escape(e.Name.Space, true) + `"`)
	}
	prefixes := map[string]string{}
	for _, a := range e.Attr {
		name := a.Name.Local
		switch a.Name.Space {
		case "":
		case xmlnode.XMLNamespace, "xml":
			name = "xml:" + name
		case nsScansion:
			name = "scansion:" + name
		default:
			p, ok := prefixes[a.Name.Space]
			if !ok {
				p = fmt.Sprintf("ns%d", len(prefixes)+1)
				prefixes[a.Name.Space] = p
				b.WriteString(" xmlns:" + p + `="` + escape(a.Name.Space, true) + `"`)
			}
			name = p + ":" + name
		}
		b.WriteString(" " + name + `="`)
		if a.Value == match.Any || strings.HasPrefix(a.Value, "{scansion:capture:") {
			b.WriteString(a.Value)
		} else {
			b.WriteString(rn.substitute(a.Value, true))
		}
		b.WriteString(`"`)
	}
	var kids []xmlnode.Node
	hasElem := false
	for _, c := range e.Children {
		switch c := c.(type) {
		case *xmlnode.Element:
			hasElem = true
			kids = append(kids, c)
		case xmlnode.Text:
			if strings.TrimSpace(string(c)) != "" {
				kids = append(kids, c)
			}
		}
	}
	switch {
	case len(kids) == 0:
		b.WriteString("/>\n")
	case !hasElem:
		b.WriteString(">" + rn.substitute(e.Text(), false) + "</" + e.Name.Local + ">\n")
	default:
		b.WriteString(">\n")
		for _, c := range kids {
			switch c := c.(type) {
			case *xmlnode.Element:
				rn.format(b, c, e.Name.Space, depth+1)
			case xmlnode.Text:
				b.WriteString(indent + "\t" + rn.substitute(strings.TrimSpace(string(c)), false) + "\n")
			}
		}
		b.WriteString(indent + "</" + e.Name.Local + ">\n")
	}
}

// jidChar says whether r can continue a JID, so that a client's JID is not
// replaced inside a longer one.
func jidChar(r byte) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.IndexByte("._-+%@", r) >= 0 || r >= 0x80
}

// substitute escapes s for an attribute value or text and replaces the
// JIDs of recorded clients with ${Name's JID} / ${Name's full JID}.
func (rn *renderer) substitute(s string, inAttr bool) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		matched := false
		if i == 0 || !jidChar(s[i-1]) {
			for _, sub := range rn.subs {
				if sub.jid == "" || !strings.HasPrefix(s[i:], sub.jid) {
					continue
				}
				end := i + len(sub.jid)
				if end < len(s) && jidChar(s[end]) {
					continue
				}
				b.WriteString(escape(s[last:i], inAttr))
				b.WriteString(sub.placeholder)
				i, last, matched = end, end, true
				break
			}
		}
		if !matched {
			i++
		}
	}
	b.WriteString(escape(s[last:], inAttr))
	return b.String()
}

// escape escapes s for the script: XML escaping, line breaks and tabs as
// character references (a block is line-based), and "${" so that the
// runner does not take recorded text for a placeholder.
func escape(s string, inAttr bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			if inAttr {
				b.WriteString("&quot;")
			} else {
				b.WriteByte(c)
			}
		case '\n':
			b.WriteString("&#10;")
		case '\r':
			b.WriteString("&#13;")
		case '\t':
			b.WriteString("&#9;")
		case '$':
			if i+1 < len(s) && s[i+1] == '{' {
				b.WriteString("&#36;")
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
