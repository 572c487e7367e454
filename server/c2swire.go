package server

import (
	"errors"

	"mellium.im/xmpp/jid"

	"github.com/muctest/muctest/c2s"
	"github.com/muctest/muctest/c2sapi"
	"github.com/muctest/muctest/router"
	"github.com/muctest/muctest/xmlnode"
)

// This file wires package c2s to the router and the modules, which see a
// client stream only as a c2sapi.Session (so that their test binaries
// link no crypto/tls, issue 10): the server is the one place that knows
// both.

// c2sHost is the router as c2s.Config.Host.
type c2sHost struct{ r *router.Router }

func (h c2sHost) Bind(cs *c2s.Session, full jid.JID, reply *xmlnode.Element) (c2s.Handler, error) {
	return h.r.Bind(cs, full, reply)
}

// BindInline makes the router c2s's InlineHost (XEP-0386's inline
// features).
func (h c2sHost) BindInline(cs *c2s.Session, full jid.JID, reply *xmlnode.Element, inline func(c2s.Handler)) (c2s.Handler, error) {
	return h.r.BindInline(cs, full, reply, inline)
}

// streamFeatures returns the modules' stream features as c2s's.
func streamFeatures(fs []c2sapi.Feature) []c2s.Feature {
	out := make([]c2s.Feature, len(fs))
	for i, f := range fs {
		offer := f.Offer
		out[i] = c2s.Feature{PreAuth: f.PreAuth, Offer: func(cs *c2s.Session) *xmlnode.Element { return offer(cs) }}
	}
	return out
}

// streamElements returns the modules' element handlers as c2s's; a
// c2sapi.StreamError they return ends the stream as c2s.StreamError does.
func streamElements(es []c2sapi.ElementHandler) []c2s.ElementHandler {
	out := make([]c2s.ElementHandler, len(es))
	for i, e := range es {
		handle := e.Handle
		out[i] = c2s.ElementHandler{Name: e.Name, Stage: e.Stage, Handle: func(cs *c2s.Session, el *xmlnode.Element) error {
			err := handle(cs, el)
			if se := (*c2sapi.StreamErr)(nil); errors.As(err, &se) {
				return c2s.StreamError(se.Cond, se.Text)
			}
			return err
		}}
	}
	return out
}
