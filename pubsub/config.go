package pubsub

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/muctest/muctest/xmlnode"
)

// Access models (XEP-0060 4.5): who may subscribe and retrieve items.
const (
	AccessOpen      = "open"
	AccessPresence  = "presence"
	AccessRoster    = "roster"
	AccessWhitelist = "whitelist"
	AccessAuthorize = "authorize"
)

// Values of send_last_published_item.
const (
	SendNever              = "never"
	SendOnSub              = "on_sub"
	SendOnSubAndPresence   = "on_sub_and_presence"
	ItemReplyNone          = "none"
	ItemReplyPublisher     = "publisher"
	ItemReplyOwner         = "owner"
	PublishModelPublishers = "publishers"
)

// MaxItemsMax is NodeConfig.MaxItems for "max": as many as the service
// allows (ServiceConfig.MaxItemsLimit).
const MaxItemsMax = -1

// NodeConfig is a node's configuration, the pubsub#node_config form in
// typed fields.
type NodeConfig struct {
	Title       string
	Description string
	PayloadType string // pubsub#type
	// MaxItems is how many items the node keeps, MaxItemsMax for "max".
	MaxItems     int
	PersistItems bool
	AccessModel  string
	// RosterGroupsAllowed are the owner's roster groups whose members may
	// subscribe under the roster access model.
	RosterGroupsAllowed   []string
	PublishModel          string // publishers, subscribers, open
	SendLastPublishedItem string
	DeliverNotifications  bool // pubsub#deliver_notifications
	DeliverPayloads       bool // pubsub#deliver_payloads
	NotificationType      string
	NotifyDelete          bool
	NotifyRetract         bool
	ItemReply             string
}

// DefaultConfig returns the defaults of a node on a pubsub service, as
// Prosody's util.pubsub has them: 20 items kept, open access, the last
// item never sent on its own.
func DefaultConfig() NodeConfig {
	return NodeConfig{
		MaxItems:              20,
		PersistItems:          true,
		AccessModel:           AccessOpen,
		PublishModel:          PublishModelPublishers,
		SendLastPublishedItem: SendNever,
		DeliverNotifications:  true,
		DeliverPayloads:       true,
		NotificationType:      "headline",
		NotifyDelete:          true,
		NotifyRetract:         true,
		ItemReply:             ItemReplyNone,
	}
}

// PEPDefaults returns the defaults of a PEP node (Prosody's mod_pep): one
// item, readable by contacts with a presence subscription, and the last
// item sent on subscription and on presence.
func PEPDefaults() NodeConfig {
	c := DefaultConfig()
	c.MaxItems = 1
	c.AccessModel = AccessPresence
	c.SendLastPublishedItem = SendOnSubAndPresence
	return c
}

// clone returns a copy of c that shares no slice with it.
func (c NodeConfig) clone() NodeConfig {
	c.RosterGroupsAllowed = slices.Clone(c.RosterGroupsAllowed)
	return c
}

// fieldSpec is one field of the node configuration form: how it renders,
// how a submitted value is read and where it lives in NodeConfig. The
// table below is the form; its order is the order on the wire.
type fieldSpec struct {
	// v is the field's var; name is Prosody's name for the option
	// (payload_type for pubsub#type...), which its error texts use.
	v, name, typ, label string
	options             []option
	integerOrMax        bool // pubsub:integer-or-max, range 1..MaxItemsLimit
	get                 func(c *NodeConfig) []string
	set                 func(c *NodeConfig, vals []string)
}

func textGet(p func(c *NodeConfig) *string) func(c *NodeConfig) []string {
	return func(c *NodeConfig) []string {
		if s := *p(c); s != "" {
			return []string{s}
		}
		return nil
	}
}

func textSet(p func(c *NodeConfig) *string) func(c *NodeConfig, vals []string) {
	return func(c *NodeConfig, vals []string) { *p(c) = vals[0] }
}

func boolGet(p func(c *NodeConfig) *bool) func(c *NodeConfig) []string {
	return func(c *NodeConfig) []string {
		if *p(c) {
			return []string{"1"}
		}
		return []string{"0"}
	}
}

func boolSet(p func(c *NodeConfig) *bool) func(c *NodeConfig, vals []string) {
	return func(c *NodeConfig, vals []string) { *p(c) = vals[0] == "1" }
}

func strOptions(vals ...string) []option {
	o := make([]option, len(vals))
	for i, v := range vals {
		o[i] = option{value: v}
	}
	return o
}

// configFields is the node configuration form of Prosody trunk, field for
// field: order, types, labels and options as its scripts compare them.
var configFields = []fieldSpec{
	{v: "pubsub#title", name: "title", typ: "text-single", label: "Title",
		get: textGet(func(c *NodeConfig) *string { return &c.Title }),
		set: textSet(func(c *NodeConfig) *string { return &c.Title })},
	{v: "pubsub#description", name: "description", typ: "text-single", label: "Description",
		get: textGet(func(c *NodeConfig) *string { return &c.Description }),
		set: textSet(func(c *NodeConfig) *string { return &c.Description })},
	{v: "pubsub#type", name: "payload_type", typ: "text-single",
		label: "The type of node data, usually specified by the namespace of the payload (if any)",
		get:   textGet(func(c *NodeConfig) *string { return &c.PayloadType }),
		set:   textSet(func(c *NodeConfig) *string { return &c.PayloadType })},
	{v: "pubsub#max_items", name: "max_items", typ: "text-single", label: "Max # of items to persist", integerOrMax: true,
		get: func(c *NodeConfig) []string {
			if c.MaxItems == MaxItemsMax {
				return []string{"max"}
			}
			return []string{strconv.Itoa(c.MaxItems)}
		},
		set: func(c *NodeConfig, vals []string) {
			if vals[0] == "max" {
				c.MaxItems = MaxItemsMax
				return
			}
			c.MaxItems, _ = strconv.Atoi(vals[0]) // validated by readConfig
		}},
	{v: "pubsub#persist_items", name: "persist_items", typ: "boolean", label: "Persist items to storage",
		get: boolGet(func(c *NodeConfig) *bool { return &c.PersistItems }),
		set: boolSet(func(c *NodeConfig) *bool { return &c.PersistItems })},
	{v: "pubsub#access_model", name: "access_model", typ: "list-single", label: "Specify the subscriber model",
		options: strOptions(AccessAuthorize, AccessOpen, AccessPresence, AccessRoster, AccessWhitelist),
		get:     textGet(func(c *NodeConfig) *string { return &c.AccessModel }),
		set:     textSet(func(c *NodeConfig) *string { return &c.AccessModel })},
	{v: "pubsub#roster_groups_allowed", name: "roster_groups_allowed", typ: "list-multi", label: "Roster groups allowed to subscribe",
		get: func(c *NodeConfig) []string { return c.RosterGroupsAllowed },
		set: func(c *NodeConfig, vals []string) { c.RosterGroupsAllowed = slices.Clone(vals) }},
	{v: "pubsub#publish_model", name: "publish_model", typ: "list-single", label: "Specify the publisher model",
		options: strOptions("publishers", "subscribers", "open"),
		get:     textGet(func(c *NodeConfig) *string { return &c.PublishModel }),
		set:     textSet(func(c *NodeConfig) *string { return &c.PublishModel })},
	{v: "pubsub#send_last_published_item", name: "send_last_published_item", typ: "list-single",
		options: strOptions(SendNever, SendOnSub, SendOnSubAndPresence),
		get:     textGet(func(c *NodeConfig) *string { return &c.SendLastPublishedItem }),
		set:     textSet(func(c *NodeConfig) *string { return &c.SendLastPublishedItem })},
	{v: "pubsub#deliver_notifications", name: "notify_items", typ: "boolean", label: "Whether to deliver event notifications",
		get: boolGet(func(c *NodeConfig) *bool { return &c.DeliverNotifications }),
		set: boolSet(func(c *NodeConfig) *bool { return &c.DeliverNotifications })},
	{v: "pubsub#deliver_payloads", name: "include_payload", typ: "boolean", label: "Whether to deliver payloads with event notifications",
		get: boolGet(func(c *NodeConfig) *bool { return &c.DeliverPayloads }),
		set: boolSet(func(c *NodeConfig) *bool { return &c.DeliverPayloads })},
	{v: "pubsub#notification_type", name: "notification_type", typ: "list-single", label: "Specify the delivery style for notifications",
		options: []option{{"normal", "Messages of type normal"}, {"headline", "Messages of type headline"}},
		get:     textGet(func(c *NodeConfig) *string { return &c.NotificationType }),
		set:     textSet(func(c *NodeConfig) *string { return &c.NotificationType })},
	{v: "pubsub#notify_delete", name: "notify_delete", typ: "boolean", label: "Whether to notify subscribers when the node is deleted",
		get: boolGet(func(c *NodeConfig) *bool { return &c.NotifyDelete }),
		set: boolSet(func(c *NodeConfig) *bool { return &c.NotifyDelete })},
	{v: "pubsub#notify_retract", name: "notify_retract", typ: "boolean",
		label: "Whether to notify subscribers when items are removed from the node",
		get:   boolGet(func(c *NodeConfig) *bool { return &c.NotifyRetract }),
		set:   boolSet(func(c *NodeConfig) *bool { return &c.NotifyRetract })},
	{v: "pubsub#itemreply", name: "itemreply", typ: "list-single", label: "Specify whose JID to include as the publisher of items",
		options: []option{
			{ItemReplyOwner, "Include the node owner's JID"},
			{ItemReplyPublisher, "Include the item publisher's JID"},
			{ItemReplyNone, "Don't include any JID with items"},
		},
		get: textGet(func(c *NodeConfig) *string { return &c.ItemReply }),
		set: textSet(func(c *NodeConfig) *string { return &c.ItemReply })},
}

// ConfigForm renders c as the pubsub#node_config form (type "form"), with
// maxItemsLimit as the upper bound of max_items' validation range.
func ConfigForm(c NodeConfig, maxItemsLimit int) *xmlnode.Element {
	x := xmlnode.New(nsData, "x", "type", "form")
	formTypeField(x, NSConfig)
	for i := range configFields {
		f := &configFields[i]
		fe := x.AddChild(nsData, "field", "var", f.v, "type", f.typ)
		if f.label != "" {
			fe.SetAttr("label", f.label)
		}
		if f.integerOrMax {
			val := fe.AddChild(nsXDataValid, "validate", "datatype", "pubsub:integer-or-max")
			val.AddChild(nsXDataValid, "range", "min", "1", "max", strconv.Itoa(maxItemsLimit))
		}
		for _, o := range f.options {
			label := o.label
			if label == "" {
				label = o.value
			}
			addValue(fe.AddChild(nsData, "option", "label", label), o.value)
		}
		for _, v := range f.get(&c) {
			addValue(fe, v)
		}
	}
	return x
}

// configValues is a submitted node configuration: canonical values by
// var, only for the fields the form set (booleans as "1"/"0").
type configValues map[string][]string

// readConfig reads and validates the node configuration fields of a
// submitted form (a configure form or publish-options), the way Prosody's
// util.dataforms reads them: fields it does not know are ignored, a
// field without a value sets nothing, and a value that cannot be read is
// a bad-request naming the field.
func readConfig(f *Form, maxItemsLimit int) (configValues, error) {
	if f.FormType != "" && f.FormType != NSConfig && f.FormType != NSPublish {
		return nil, errBadRequest("FORM_TYPE: unexpected " + f.FormType)
	}
	out := make(configValues)
	for i := range configFields {
		spec := &configFields[i]
		vals, ok := f.Values[spec.v]
		if !ok {
			continue
		}
		switch spec.typ {
		case "boolean":
			if len(vals) == 0 {
				continue
			}
			switch vals[0] {
			case "1", "true":
				out[spec.v] = []string{"1"}
			case "0", "false":
				out[spec.v] = []string{"0"}
			default:
				// Prosody's text, value included (cut short: it is the
				// client's own input, echoed).
				return nil, errBadRequest(spec.name + ": Invalid boolean representation:" + clip(vals[0], 64))
			}
		case "list-multi":
			out[spec.v] = slices.Clone(vals)
		default: // text-single, list-single
			if len(vals) == 0 || vals[0] == "" {
				continue
			}
			v := vals[0]
			if spec.integerOrMax && v != "max" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return nil, errBadRequest(spec.name + ": Invalid integer")
				}
				if n < 1 || n > maxItemsLimit {
					return nil, errBadRequest(spec.name + ": Value out of range")
				}
				v = strconv.Itoa(n)
			}
			if spec.options != nil && !hasOption(spec.options, v) {
				return nil, errBadRequest(spec.name + ": Invalid value")
			}
			out[spec.v] = []string{v}
		}
	}
	return out, nil
}

func hasOption(opts []option, v string) bool {
	for _, o := range opts {
		if o.value == v {
			return true
		}
	}
	return false
}

// apply returns base with the submitted values set.
func (cv configValues) apply(base NodeConfig) NodeConfig {
	c := base.clone()
	for i := range configFields {
		spec := &configFields[i]
		if vals, ok := cv[spec.v]; ok {
			if len(vals) == 0 && spec.typ != "list-multi" {
				continue
			}
			spec.set(&c, vals)
		}
	}
	return c
}

// mismatch returns the Prosody name of the first submitted field whose
// value c does not have (access_model for pubsub#access_model: the name
// Prosody's precondition-not-met text gives), "" when c meets every one:
// publish-options as preconditions (XEP-0060 7.1.5).
func (cv configValues) mismatch(c NodeConfig) string {
	for i := range configFields {
		spec := &configFields[i]
		want, ok := cv[spec.v]
		if !ok {
			continue
		}
		if !slices.Equal(spec.get(&c), want) {
			return spec.name
		}
	}
	return ""
}

// clip returns s cut to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
