// Package adhoc is XEP-0050 Ad-Hoc Commands on the server's domain: the
// command list (disco#items of the node http://jabber.org/protocol/commands),
// each command's disco#info, and the execution protocol with sessions
// (sessionid), multi-stage forms (XEP-0004 data forms, the "complete"
// action) and cancel.
//
// Every user may run "ping" (as ejabberd offers) and "uptime" (as Prosody
// does). Admins (Module.Admins) also get the cheap XEP-0133 Service
// Administration commands (admin.go): the numbers and lists of online and
// registered users, an announcement to the online users, adding a user,
// changing a user's password, ending a user's sessions and deleting a user
// (the account-removal path of XEP-0077).
// Anyone else asking for those is told forbidden, and the command list and
// disco#info do not show them.
package adhoc

import (
	"crypto/rand"
	"encoding/xml"
	"strings"
	"sync"
	"time"

	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// The namespaces.
const (
	NS      = "http://jabber.org/protocol/commands"
	NSData  = "jabber:x:data"
	NSAdmin = "http://jabber.org/protocol/admin"
	nsInfo  = "http://jabber.org/protocol/disco#info"
	nsItems = "http://jabber.org/protocol/disco#items"
)

// MaxPending bounds the multi-stage executions one session keeps open;
// starting one more forgets the oldest.
const MaxPending = 5

// Module serves ad-hoc commands.
type Module struct {
	// Admins are the bare JIDs that may run the XEP-0133 commands.
	Admins []string
	// Now is the clock (time.Now when nil); uptime counts from Register.
	Now func() time.Time
}

// Name implements module.Module.
func (Module) Name() string { return "adhoc" }

// command is one ad-hoc command. A command with a form is run in two
// stages: execute answers the form, complete submits it; one without runs
// at once.
type command struct {
	node, name string
	admin      bool
	// form returns the form of the first stage, nil for a one-stage
	// command.
	form func(c *call) *xmlnode.Element
	// run does the work with the submitted fields (nil for a one-stage
	// command) and fills the completed <command/>.
	run func(c *call, fields map[string][]string, out *xmlnode.Element) error
}

// call is a command being run: the request and the module. after holds
// what must wait until the answer is queued: ending sessions and removing
// accounts, the admin's own among them, whose stream error would
// otherwise go out before the result.
type call struct {
	*module.Request
	m     *mod
	after []func()
}

// cmdError is an error a command's run reports to the requester.
type cmdError struct {
	typ  stanza.ErrorType
	cond stanza.Condition
	text string
}

func (e *cmdError) Error() string { return string(e.cond) + ": " + e.text }

// pending holds a session's multi-stage executions: sessionid -> node,
// oldest first.
type pending struct{ ids, nodes []string }

var pendings = module.NewSessionState[pending]("adhoc.pending")

type mod struct {
	admins   map[string]bool
	now      func() time.Time
	started  time.Time
	commands []*command
}

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	s := &mod{admins: map[string]bool{}, now: m.Now}
	if s.now == nil {
		s.now = time.Now
	}
	s.started = s.now()
	for _, a := range m.Admins {
		if j, err := jidcheck.ParseFast(a); err == nil {
			s.admins[j.Bare().String()] = true
		}
	}
	s.commands = allCommands()
	r.IQ(module.IQ{To: module.ToDomain, Type: module.Set, Payload: xml.Name{Space: NS, Local: "command"},
		Disco: module.OnServer, Handle: s.handle})
	r.DiscoNode(module.DiscoNode{Where: module.OnServer, Node: NS, Info: s.listInfo, Items: s.listItems})
	for _, c := range s.commands {
		r.DiscoNode(module.DiscoNode{Where: module.OnServer, Node: c.node,
			Info: func(q *module.Request, p *xmlnode.Element) bool { return s.commandInfo(c, q, p) }})
	}
	return nil
}

// allCommands is the command list every server shares: a command is
// functions and constants, the same for every server, so it is made once
// rather than by each server at New (one per scansion script). Nothing
// changes it after.
var allCommands = sync.OnceValue(func() []*command { return append(userCommands(), adminCommands()...) })

func (s *mod) isAdmin(from jid.JID) bool { return s.admins[from.Bare().String()] }

// visible returns the commands from may run, in list order.
func (s *mod) visible(from jid.JID) []*command {
	var out []*command
	admin := s.isAdmin(from)
	for _, c := range s.commands {
		if !c.admin || admin {
			out = append(out, c)
		}
	}
	return out
}

// listInfo is the command list node's disco#info (XEP-0050 section 2.2).
func (s *mod) listInfo(_ *module.Request, p *xmlnode.Element) bool {
	p.AddChild(nsInfo, "identity", "category", "automation", "type", "command-list", "name", "Ad-Hoc Commands")
	return true
}

// listItems is the command list (XEP-0050 section 2.2).
func (s *mod) listItems(q *module.Request, p *xmlnode.Element) bool {
	for _, c := range s.visible(q.From) {
		p.AddChild(nsItems, "item", "jid", q.Domain(), "node", c.node, "name", c.name)
	}
	return true
}

// commandInfo is one command's disco#info (XEP-0050 section 2.3).
func (s *mod) commandInfo(c *command, q *module.Request, p *xmlnode.Element) bool {
	if c.admin && !s.isAdmin(q.From) {
		return false
	}
	p.AddChild(nsInfo, "identity", "category", "automation", "type", "command-node", "name", c.name)
	p.AddChild(nsInfo, "feature", "var", NS)
	p.AddChild(nsInfo, "feature", "var", NSData)
	return true
}

// handle runs the execution protocol (XEP-0050 section 3.4).
func (s *mod) handle(q *module.Request) {
	node := q.Payload.Attrib("node")
	var cmd *command
	for _, c := range s.commands {
		if c.node == node {
			cmd = c
		}
	}
	if cmd == nil {
		q.Error(stanza.Cancel, stanza.ItemNotFound, "No such command")
		return
	}
	if cmd.admin && !s.isAdmin(q.From) {
		q.Error(stanza.Cancel, stanza.Forbidden, "Only admins may run this command")
		return
	}
	action := q.Payload.Attrib("action")
	sid := q.Payload.Attrib("sessionid")
	c := &call{Request: q, m: s}
	if sid == "" {
		switch action {
		case "", "execute":
		case "cancel":
			// Nothing started, so nothing to cancel; say so as for any
			// other session nobody knows.
			s.fail(q, stanza.Modify, stanza.BadRequest, "bad-sessionid")
			return
		default:
			s.fail(q, stanza.Modify, stanza.BadRequest, "bad-action")
			return
		}
		sid = newSessionID()
		if cmd.form != nil {
			if q.Session == nil {
				q.Error(stanza.Cancel, stanza.NotAllowed, "")
				return
			}
			remember(q.Session, sid, cmd.node)
			res, out := s.answer(q, cmd, sid, "executing")
			out.AddChild(NS, "actions", "execute", "complete").AddChild(NS, "complete")
			out.Append(cmd.form(c))
			q.Reply(res)
			return
		}
		s.complete(c, cmd, sid, nil)
		return
	}
	if q.Session == nil || !forget(q.Session, sid, cmd.node) {
		s.fail(q, stanza.Modify, stanza.BadRequest, "bad-sessionid")
		return
	}
	switch action {
	case "cancel":
		res, _ := s.answer(q, cmd, sid, "canceled")
		q.Reply(res)
	case "", "execute", "complete":
		x := q.Payload.Child(NSData, "x")
		if x == nil || x.Attrib("type") != "submit" {
			s.fail(q, stanza.Modify, stanza.BadRequest, "bad-payload")
			return
		}
		s.complete(c, cmd, sid, fields(x))
	default:
		// next and prev: every form here has one stage.
		remember(q.Session, sid, cmd.node)
		s.fail(q, stanza.Modify, stanza.BadRequest, "bad-action")
	}
}

// complete runs cmd and answers with its completed <command/>.
func (s *mod) complete(c *call, cmd *command, sid string, f map[string][]string) {
	res, out := s.answer(c.Request, cmd, sid, "completed")
	if err := cmd.run(c, f, out); err != nil {
		if ce, ok := err.(*cmdError); ok {
			c.Error(ce.typ, ce.cond, ce.text)
			return
		}
		c.Error(stanza.Wait, stanza.InternalServerError, "")
		return
	}
	c.Reply(res)
	for _, f := range c.after {
		f()
	}
}

// answer builds the result iq and its <command/> of status.
func (s *mod) answer(q *module.Request, cmd *command, sid, status string) (res, out *xmlnode.Element) {
	res = q.Result()
	out = res.AddChild(NS, "command", "node", cmd.node, "sessionid", sid, "status", status)
	return res, out
}

// fail answers a stanza error with one of XEP-0050's specific conditions
// (section 4.6): bad-action, bad-sessionid, bad-payload...
func (s *mod) fail(q *module.Request, typ stanza.ErrorType, cond stanza.Condition, specific string) {
	e := stanzaerr.Reply(q.Stanza, string(typ), string(cond), "", "")
	if el := e.Child(stanzaerr.NSClient, "error"); el != nil {
		el.AddChild(NS, specific)
	}
	q.Reply(e)
}

// remember keeps a multi-stage execution for s.
func remember(s module.Session, sid, node string) {
	p := pendings.Use(s)
	if len(p.ids) >= MaxPending {
		p.ids, p.nodes = p.ids[1:], p.nodes[1:]
	}
	p.ids = append(p.ids, sid)
	p.nodes = append(p.nodes, node)
}

// forget ends s's execution sid of node, reporting whether there was one.
func forget(s module.Session, sid, node string) bool {
	p := pendings.Get(s)
	if p == nil {
		return false
	}
	for i, id := range p.ids {
		if id == sid && p.nodes[i] == node {
			p.ids = append(p.ids[:i], p.ids[i+1:]...)
			p.nodes = append(p.nodes[:i], p.nodes[i+1:]...)
			return true
		}
	}
	return false
}

func newSessionID() string { return strings.ToLower(rand.Text()[:16]) }

// fields reads a submitted data form's values by var.
func fields(x *xmlnode.Element) map[string][]string {
	out := map[string][]string{}
	for _, f := range x.ChildrenNamed(NSData, "field") {
		v := f.Attrib("var")
		if v == "" {
			continue
		}
		vals := []string{}
		for _, val := range f.ChildrenNamed(NSData, "value") {
			vals = append(vals, val.Text())
		}
		out[v] = vals
	}
	return out
}

// form builds a data form of type typ ("form" or "result") with the
// XEP-0133 FORM_TYPE, a title and instructions when set.
func form(typ, title, instructions string) *xmlnode.Element {
	x := xmlnode.New(NSData, "x", "type", typ)
	if title != "" {
		x.AddChild(NSData, "title").SetText(title)
	}
	if instructions != "" {
		x.AddChild(NSData, "instructions").SetText(instructions)
	}
	x.AddChild(NSData, "field", "type", "hidden", "var", "FORM_TYPE").AddChild(NSData, "value").SetText(NSAdmin)
	return x
}

// field adds a field with values to x.
func field(x *xmlnode.Element, typ, v, label string, required bool, values ...string) *xmlnode.Element {
	f := x.AddChild(NSData, "field", "var", v)
	if typ != "" {
		f.SetAttr("type", typ)
	}
	if label != "" {
		f.SetAttr("label", label)
	}
	if required {
		f.AddChild(NSData, "required")
	}
	for _, val := range values {
		f.AddChild(NSData, "value").SetText(val)
	}
	return f
}

// note adds an XEP-0050 note to a completed command.
func note(out *xmlnode.Element, typ, text string) {
	out.AddChild(NS, "note", "type", typ).SetText(text)
}
