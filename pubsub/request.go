package pubsub

import (
	"strconv"

	"github.com/muctest/muctest/jidcheck"
	"github.com/muctest/muctest/xmlnode"
)

// Op is what a request asks for: one XEP-0060 use case.
type Op int

// The use cases, entity ones (pubsub namespace) then owner ones
// (pubsub#owner).
const (
	OpItems         Op = iota + 1 // get <items/>: all, latest N or by id
	OpPublish                     // set <publish/>, one or several items
	OpRetract                     // set <retract/>
	OpSubscribe                   // set <subscribe/>
	OpUnsubscribe                 // set <unsubscribe/>
	OpSubscriptions               // get <subscriptions/>: the requester's
	OpAffiliations                // get <affiliations/>: the requester's
	OpOptions                     // get <options/>: subscription options
	OpSetOptions                  // set <options/>
	OpCreate                      // set <create/>, with <configure/> perhaps

	OpConfigure             // owner get <configure/>
	OpSetConfigure          // owner set <configure/>
	OpDefault               // owner get <default/>
	OpDelete                // owner set <delete/>
	OpPurge                 // owner set <purge/>
	OpOwnerSubscriptions    // owner get <subscriptions/>
	OpSetOwnerSubscriptions // owner set <subscriptions/>
	OpOwnerAffiliations     // owner get <affiliations/>
	OpSetOwnerAffiliations  // owner set <affiliations/>
)

var opNames = [...]string{"", "items", "publish", "retract", "subscribe", "unsubscribe",
	"subscriptions", "affiliations", "options", "options", "create",
	"configure", "configure", "default", "delete", "purge", "subscriptions", "subscriptions",
	"affiliations", "affiliations"}

// String returns the element name of the operation.
func (o Op) String() string {
	if o > 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Owner reports whether o is a pubsub#owner use case.
func (o Op) Owner() bool { return o >= OpConfigure }

// Request is a parsed <pubsub/> IQ payload: the operation and what it
// names. Which fields are set depends on Op.
type Request struct {
	Op   Op
	Node string // "" when the request names none
	// Items are the <item/> elements of a publish, in order (ids may be
	// missing: the service assigns them).
	Items []*xmlnode.Element
	// IDs are the item ids of a retract or of an items request by id.
	IDs []string
	// MaxItems asks for the latest N items (items' max_items); 0 for all.
	MaxItems int
	// Notify asks a retract to notify subscribers.
	Notify bool
	// JID is the subscribe, unsubscribe and options jid, parsed and
	// normalised; "" when missing. BadJID is set when it was there but
	// did not parse.
	JID    string
	BadJID bool
	// Config is the configure form of a create or of an owner configure
	// set; PublishOptions the publish-options form of a publish;
	// SubOptions the options form of a subscribe or options set.
	Config         *Form
	PublishOptions *Form
	SubOptions     *Form
	// OptionsAsDefaults makes PublishOptions the configuration of a node
	// the publish creates and nothing more: no precondition on an
	// existing node (what server-side publishers such as the vCard
	// conversion need; never set by ParseRequest).
	OptionsAsDefaults bool
	// Entries are the <affiliation/> or <subscription/> elements of an
	// owner set: a JID and its new affiliation or subscription state.
	Entries []Entry
}

// Entry is one row of an owner's affiliations or subscriptions set.
type Entry struct {
	JID   string
	Value string // an affiliation, or subscribed/none
}

// Bounds on what one request may repeat. A client can put thousands of
// items or ids in a stanza below the stream's size limit; no real client
// needs more than these, and each costs the service work and storage.
const (
	MaxPublishItems = 64
	MaxRequestIDs   = 256
	MaxEntries      = 256
	MaxNodeNameLen  = 1024
	MaxItemIDLen    = 1024
)

// ParseRequest reads an <iq/> whose payload is <pubsub/> (in the pubsub or
// pubsub#owner namespace) into a Request. The iq is network input: every
// count and length is bounded, and any failure is an *Error to reply
// with.
func ParseRequest(iq *xmlnode.Element) (*Request, error) {
	var ps *xmlnode.Element
	for _, c := range iq.Elements() {
		if c.Name.Local == "pubsub" && (c.Name.Space == NS || c.Name.Space == NSOwner) {
			ps = c
			break
		}
	}
	if ps == nil {
		return nil, errBadRequest("no pubsub payload")
	}
	kids := ps.Elements()
	if len(kids) == 0 {
		return nil, &Error{Type: "cancel", Condition: "bad-request"}
	}
	action := kids[0]
	owner := ps.Name.Space == NSOwner
	set := iq.Attrib("type") == "set"
	if iq.Attrib("type") != "set" && iq.Attrib("type") != "get" {
		return nil, errBadRequest("not a get or set")
	}
	if action.Name.Space != ps.Name.Space {
		return nil, errUnsupported(action.Name.Local)
	}
	r := &Request{Node: action.Attrib("node")}
	if len(r.Node) > MaxNodeNameLen {
		return nil, errBadRequest("node name too long")
	}
	name := action.Name.Local
	var err error
	switch {
	case !owner && !set && name == "items":
		r.Op = OpItems
		err = r.parseItems(action)
	case !owner && set && name == "publish":
		r.Op = OpPublish
		err = r.parsePublish(ps, action)
	case !owner && set && name == "retract":
		r.Op = OpRetract
		err = r.parseRetract(action)
	case !owner && set && name == "subscribe":
		r.Op = OpSubscribe
		r.parseJID(action)
		if o := ps.Child(NS, "options"); o != nil {
			r.SubOptions, err = ParseForm(o.Child(nsData, "x"))
		}
	case !owner && set && name == "unsubscribe":
		r.Op = OpUnsubscribe
		r.parseJID(action)
	case !owner && !set && name == "subscriptions":
		r.Op = OpSubscriptions
	case !owner && !set && name == "affiliations":
		r.Op = OpAffiliations
	case !owner && name == "options":
		r.Op = OpOptions
		r.parseJID(action)
		if set {
			r.Op = OpSetOptions
			r.SubOptions, err = ParseForm(action.Child(nsData, "x"))
		}
	case !owner && set && name == "create":
		r.Op = OpCreate
		if c := ps.Child(NS, "configure"); c != nil {
			if x := c.Child(nsData, "x"); x != nil {
				r.Config, err = ParseForm(x)
			}
		}
	case owner && name == "configure":
		r.Op = OpConfigure
		if set {
			r.Op = OpSetConfigure
			r.Config, err = ParseForm(action.Child(nsData, "x"))
		}
	case owner && !set && name == "default":
		r.Op = OpDefault
	case owner && set && name == "delete":
		r.Op = OpDelete
	case owner && set && name == "purge":
		r.Op = OpPurge
	case owner && name == "subscriptions":
		r.Op = OpOwnerSubscriptions
		if set {
			r.Op = OpSetOwnerSubscriptions
			err = r.parseEntries(action, "subscription", "subscription", validSubscription)
		}
	case owner && name == "affiliations":
		r.Op = OpOwnerAffiliations
		if set {
			r.Op = OpSetOwnerAffiliations
			err = r.parseEntries(action, "affiliation", "affiliation", validAffiliation)
		}
	default:
		return nil, errUnsupported(name)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Request) parseItems(action *xmlnode.Element) error {
	if m := action.Attrib("max_items"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			return errBadRequest("max_items: not a positive integer")
		}
		r.MaxItems = n
	}
	return r.parseIDs(action)
}

func (r *Request) parseIDs(action *xmlnode.Element) error {
	for _, it := range action.ChildrenNamed(NS, "item") {
		id := it.Attrib("id")
		if id == "" {
			continue
		}
		if len(id) > MaxItemIDLen {
			return errBadRequest("item id too long")
		}
		if len(r.IDs) == MaxRequestIDs {
			return &Error{Type: "modify", Condition: "policy-violation", Text: "too many items"}
		}
		r.IDs = append(r.IDs, id)
	}
	return nil
}

func (r *Request) parsePublish(ps, action *xmlnode.Element) error {
	for _, it := range action.ChildrenNamed(NS, "item") {
		if len(r.Items) == MaxPublishItems {
			return &Error{Type: "modify", Condition: "policy-violation", Text: "too many items"}
		}
		if len(it.Attrib("id")) > MaxItemIDLen {
			return errBadRequest("item id too long")
		}
		r.Items = append(r.Items, it)
	}
	if po := ps.Child(NS, "publish-options"); po != nil {
		if x := po.Child(nsData, "x"); x != nil {
			f, err := ParseForm(x)
			if err != nil {
				return err
			}
			r.PublishOptions = f
		}
	}
	return nil
}

func (r *Request) parseRetract(action *xmlnode.Element) error {
	n := action.Attrib("notify")
	r.Notify = n == "1" || n == "true"
	return r.parseIDs(action)
}

func (r *Request) parseJID(action *xmlnode.Element) {
	s := action.Attrib("jid")
	if s == "" {
		return
	}
	j, err := jidcheck.Parse(s)
	if err != nil {
		r.BadJID = true
		return
	}
	r.JID = j.String()
}

func (r *Request) parseEntries(action *xmlnode.Element, local, attr string, valid func(string) bool) error {
	for _, e := range action.ChildrenNamed(action.Name.Space, local) {
		if len(r.Entries) == MaxEntries {
			return &Error{Type: "modify", Condition: "policy-violation", Text: "too many " + local + "s"}
		}
		j, err := jidcheck.Parse(e.Attrib("jid"))
		if err != nil {
			return errInvalidJID()
		}
		v := e.Attrib(attr)
		if !valid(v) {
			return errBadRequest(attr + ": invalid value")
		}
		r.Entries = append(r.Entries, Entry{JID: j.String(), Value: v})
	}
	return nil
}

func validSubscription(s string) bool { return s == "subscribed" || s == "none" }

func validAffiliation(s string) bool {
	switch Affiliation(s) {
	case Owner, Publisher, PublishOnly, Member, None, Outcast:
		return true
	}
	return false
}
