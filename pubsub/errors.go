package pubsub

import (
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/xmlnode"
)

// Error is a pubsub error: an RFC 6120 stanza error (Type and Condition)
// with, where XEP-0060 defines one, an application-specific condition in
// the pubsub#errors namespace (precondition-not-met, nodeid-required...).
// Every operation of the engine fails with an *Error, so that the reply to
// any failure is the one XEP-0060 (and Prosody) gives.
type Error struct {
	Type      string // cancel, modify, auth, wait
	Condition string // an RFC 6120 defined condition
	// PubsubCondition is the pubsub#errors child, "" for none.
	PubsubCondition string
	// Feature names the unsupported feature of an <unsupported/>
	// condition.
	Feature string
	Text    string
}

// Error implements error.
func (e *Error) Error() string {
	s := "pubsub: " + e.Condition
	if e.PubsubCondition != "" {
		s += " (" + e.PubsubCondition + ")"
	}
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

// The errors of the engine, named as Prosody's pubsub.lib.lua names them.
// Functions rather than variables, so that a caller adding Text cannot
// change them for everyone.
func errConflict() *Error { return &Error{Type: "cancel", Condition: "conflict"} }
func errItemNotFound() *Error {
	return &Error{Type: "cancel", Condition: "item-not-found"}
}
func errForbidden() *Error     { return &Error{Type: "auth", Condition: "forbidden"} }
func errNotAcceptable() *Error { return &Error{Type: "modify", Condition: "not-acceptable"} }
func errNodeIDRequired() *Error {
	return &Error{Type: "modify", Condition: "bad-request", PubsubCondition: "nodeid-required"}
}
func errInvalidJID() *Error {
	return &Error{Type: "modify", Condition: "bad-request", PubsubCondition: "invalid-jid"}
}
func errNotSubscribed() *Error {
	return &Error{Type: "modify", Condition: "unexpected-request", PubsubCondition: "not-subscribed"}
}
func errPrecondition(field string) *Error {
	return &Error{Type: "cancel", Condition: "conflict", PubsubCondition: "precondition-not-met",
		Text: "Field does not match: " + field}
}
func errInvalidItem() *Error {
	return &Error{Type: "modify", Condition: "bad-request", Text: "invalid item"}
}
func errItemRequired() *Error {
	return &Error{Type: "modify", Condition: "bad-request", PubsubCondition: "item-required"}
}
func errPersistUnsupported() *Error {
	return &Error{Type: "cancel", Condition: "feature-not-implemented", PubsubCondition: "unsupported",
		Feature: "persistent-items"}
}
func errBadRequest(text string) *Error {
	return &Error{Type: "modify", Condition: "bad-request", Text: text}
}
func errUnsupported(feature string) *Error {
	return &Error{Type: "cancel", Condition: "feature-not-implemented", PubsubCondition: "unsupported",
		Feature: feature}
}

// Quota errors. XEP-0060 7.1.3.4 for an item too big; a full node or
// service is a resource constraint the publisher may retry after
// retracting something; too many nodes and too many subscriptions are
// the service's policy (XEP-0060 8.1.3, 6.1.3.x).
func errPayloadTooBig() *Error {
	return &Error{Type: "modify", Condition: "not-acceptable", PubsubCondition: "payload-too-big"}
}
func errStorageFull(text string) *Error {
	return &Error{Type: "wait", Condition: "resource-constraint", Text: text}
}
func errMaxNodes() *Error {
	return &Error{Type: "cancel", Condition: "not-allowed", PubsubCondition: "max-nodes-exceeded"}
}
func errTooManySubscriptions() *Error {
	return &Error{Type: "wait", Condition: "policy-violation", PubsubCondition: "too-many-subscriptions"}
}

// ErrorReply returns the error answer to iq for err: stanzaerr's reply with
// the pubsub#errors condition appended inside <error/>. An err that is not
// an *Error is an internal-server-error, its text withheld.
func ErrorReply(iq *xmlnode.Element, err error) *xmlnode.Element {
	pe, ok := err.(*Error)
	if !ok {
		pe = &Error{Type: "wait", Condition: "internal-server-error"}
	}
	r := stanzaerr.Reply(iq, pe.Type, pe.Condition, pe.Text, "")
	if pe.PubsubCondition != "" {
		c := xmlnode.New(NSErrors, pe.PubsubCondition)
		if pe.Feature != "" {
			c.SetAttr("feature", pe.Feature)
		}
		r.Child(nsClient, "error").Append(c)
	}
	return r
}
