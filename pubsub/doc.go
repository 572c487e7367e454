// Package pubsub is a XEP-0060 (Publish-Subscribe) node engine: nodes and
// their items, subscriptions, affiliations, node configuration, access
// models and the notifications all of these cause. It does no routing: the
// caller hands it an IQ and routes the stanzas it returns, in order. The
// same engine serves a pubsub component (pubsub.<domain>) and, one Service
// per account, XEP-0163 PEP.
//
// Where XEP-0060 leaves room for choice the engine does what Prosody trunk
// does (util/pubsub.lua and mod_pubsub/pubsub.lib.lua), because Prosody's
// scansion scripts are the project's conformance bar: the node
// configuration form field for field, the capability table that decides
// who may do what, publish-options as preconditions, notifications sent
// before the reply to the publish that caused them, the last item sent
// after the reply to a subscribe.
//
// The package is split by concern:
//
//   - request.go: the parser from an <iq/> with a <pubsub/> payload to a
//     typed Request, with bounds on everything a client can repeat
//   - config.go, form.go: NodeConfig and its data form (XEP-0004), the one
//     field table that renders, reads, validates and compares it
//   - service.go: the Service, its configuration, quotas and the
//     capability table (affiliations and access models)
//   - node.go: a node's items (max_items, byte accounting), subscribers
//     and affiliations
//   - ops.go: the operations (create, publish, retract, purge, ...)
//   - handle.go: HandleIQ, a Request applied and its reply built
//   - notify.go: event notifications (items, retract, delete, purge)
//   - disco.go: service discovery of the service and of its nodes
//   - errors.go: pubsub errors and their wire form
//
// Items are kept in their wire form (an xmlnode.Raw payload), and sizes
// are measured on it, so that a quota in bytes bounds what a client can
// make the server store and send, whatever the payload's shape: a tree of
// tiny elements would cost 24 heap bytes per wire byte. Notifications and
// items results write the stored bytes verbatim; code that reads a stored
// payload (an items result's) parses it with Element.Expanded.
package pubsub
