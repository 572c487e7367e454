package module

import "github.com/muctest/muctest/c2sapi"

// Bind2Feature is a feature a client may ask for inside XEP-0386's <bind/>
// (XEP-0388 SASL2's inline resource binding); see c2sapi.Bind2Feature.
type Bind2Feature = c2sapi.Bind2Feature

// Bind2Feature offers f inside Bind2; a second one with the same request
// name is an error from New.
func (r *Registrar) Bind2Feature(f Bind2Feature) { r.bind2 = append(r.bind2, f) }

// Bind2Features returns the registered Bind2 inline features, in
// registration order.
func (r *Registrar) Bind2Features() []Bind2Feature { return r.bind2 }

// SASL2Feature is a request made inline in XEP-0388's <authenticate/>
// (XEP-0198's <resume/>); see c2sapi.SASL2Feature.
type SASL2Feature = c2sapi.SASL2Feature

// SASL2Feature offers f inline in SASL2; a second one with the same
// request name is an error from New.
func (r *Registrar) SASL2Feature(f SASL2Feature) { r.sasl2 = append(r.sasl2, f) }

// SASL2Features returns the registered SASL2 inline features, in
// registration order.
func (r *Registrar) SASL2Features() []SASL2Feature { return r.sasl2 }
