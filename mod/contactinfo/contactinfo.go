// Package contactinfo is XEP-0157 Contact Addresses for XMPP Services: the
// server's disco#info carries a serverinfo form (XEP-0128) with the
// addresses to reach its admins, abuse desk, support and so on, as Prosody's
// mod_server_contact_info publishes them.
package contactinfo

import (
	"strconv"
	"strings"
	"sync"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/xmlnode"
)

// FormType is the XEP-0157 form's FORM_TYPE.
const FormType = "http://jabber.org/network/serverinfo"

const nsData = "jabber:x:data"

// Kinds are the address kinds of XEP-0157's registry, in the order the
// form lists them (Prosody's order, alphabetical).
var Kinds = []string{"abuse", "admin", "feedback", "sales", "security", "status", "support"}

// Module publishes Addresses; its Name is "contactinfo". Addresses maps a
// kind (see Kinds) to its URIs (mailto:, xmpp:, https:...); every kind gets
// a field, empty when it has no address, as Prosody renders it.
type Module struct {
	Addresses map[string][]string
}

// Name implements module.Module.
func (Module) Name() string { return "contactinfo" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	r.InfoExtension(module.OnServer, sharedForm(m.Addresses))
	return nil
}

// forms are the forms Register made, by formKey: disco sends a copy of a
// registered form and nothing changes the form itself, so the servers of
// one process (one per scansion script) share one rather than each
// building its own (about 3 KB and 60 allocations). At most maxForms are
// kept.
var forms struct {
	mu sync.Mutex
	m  map[string]*xmlnode.Element
}

const maxForms = 16

// sharedForm is Form(addresses), made once per distinct addresses.
func sharedForm(addresses map[string][]string) *xmlnode.Element {
	k := formKey(addresses)
	forms.mu.Lock()
	defer forms.mu.Unlock()
	if f := forms.m[k]; f != nil {
		return f
	}
	f := Form(addresses)
	if forms.m == nil {
		forms.m = map[string]*xmlnode.Element{}
	}
	if len(forms.m) < maxForms {
		forms.m[k] = f
	}
	return f
}

// formKey encodes what Form reads of addresses (the URIs of each of Kinds,
// in order), every string preceded by its length so that no two
// different inputs give one key.
func formKey(addresses map[string][]string) string {
	n := 0
	for _, k := range Kinds {
		n += 4
		for _, uri := range addresses[k] {
			n += len(uri) + 5
		}
	}
	var b strings.Builder
	b.Grow(n)
	for _, k := range Kinds {
		b.WriteString(strconv.Itoa(len(addresses[k])))
		b.WriteByte(';')
		for _, uri := range addresses[k] {
			b.WriteString(strconv.Itoa(len(uri)))
			b.WriteByte(':')
			b.WriteString(uri)
		}
	}
	return b.String()
}

// Form builds the serverinfo form for addresses.
func Form(addresses map[string][]string) *xmlnode.Element {
	x := xmlnode.New(nsData, "x", "type", "result")
	x.AddChild(nsData, "field", "type", "hidden", "var", "FORM_TYPE").AddChild(nsData, "value").SetText(FormType)
	for _, k := range Kinds {
		f := x.AddChild(nsData, "field", "type", "list-multi", "var", k+"-addresses")
		for _, uri := range addresses[k] {
			f.AddChild(nsData, "value").SetText(uri)
		}
	}
	return x
}
