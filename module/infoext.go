package module

import "github.com/muctest/muctest/xmlnode"

// InfoExtension is an XEP-0128 extended information form appended to a
// disco#info result where Where says, such as XEP-0157's contact addresses
// (FORM_TYPE http://jabber.org/network/serverinfo) on the server.
type InfoExtension struct {
	Where Where
	// Form is a jabber:x:data form of type "result"; disco sends a copy.
	Form *xmlnode.Element
}

// InfoExtension adds form to the disco#info results where says. Forms are
// fixed at registration, like features, so disco needs no callback.
func (r *Registrar) InfoExtension(where Where, form *xmlnode.Element) {
	r.infoExt = append(r.infoExt, InfoExtension{where, form})
}

// InfoExtensions returns the registered extension forms, for mod/disco.
func (r *Registrar) InfoExtensions() []InfoExtension { return r.infoExt }
