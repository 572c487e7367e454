package pubsub

// Namespaces the engine reads and writes.
const (
	NS        = "http://jabber.org/protocol/pubsub"
	NSOwner   = "http://jabber.org/protocol/pubsub#owner"
	NSEvent   = "http://jabber.org/protocol/pubsub#event"
	NSErrors  = "http://jabber.org/protocol/pubsub#errors"
	NSConfig  = "http://jabber.org/protocol/pubsub#node_config"
	NSPublish = "http://jabber.org/protocol/pubsub#publish-options"
	NSSubOpts = "http://jabber.org/protocol/pubsub#subscribe_options"
	NSMeta    = "http://jabber.org/protocol/pubsub#meta-data"

	nsClient     = "jabber:client"
	nsData       = "jabber:x:data"
	nsXDataValid = "http://jabber.org/protocol/xdata-validate"
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsDiscoItems = "http://jabber.org/protocol/disco#items"
)
