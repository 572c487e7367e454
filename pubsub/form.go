package pubsub

import "github.com/muctest/muctest/xmlnode"

// XEP-0004 data forms, as much as node configuration, publish-options and
// subscription options need.

// Form is a submitted data form read into field values: each field's
// <value/> texts by var, and the vars in the order they came.
type Form struct {
	Type     string // submit, cancel, form, result
	FormType string // the FORM_TYPE value, "" when absent
	Values   map[string][]string
	Order    []string
}

// Has reports whether field v was submitted (with or without values).
func (f *Form) Has(v string) bool { _, ok := f.Values[v]; return ok }

// maxFormFields bounds the fields read from one form: the node
// configuration has 16, so a form with far more is hostile, not a client.
const maxFormFields = 64

// maxFormValues bounds the values of one field (a list-multi of roster
// groups is the only multi-valued field).
const maxFormValues = 64

// ParseForm reads a jabber:x:data element. It fails on more fields or
// values than any pubsub form has, and on a field without a var.
func ParseForm(x *xmlnode.Element) (*Form, error) {
	if x == nil || x.Name.Space != nsData || x.Name.Local != "x" {
		return nil, errBadRequest("Missing dataform")
	}
	f := &Form{Type: x.Attrib("type"), Values: make(map[string][]string)}
	for _, fe := range x.ChildrenNamed(nsData, "field") {
		v := fe.Attrib("var")
		if v == "" {
			return nil, errBadRequest("field without var")
		}
		vals := fe.ChildrenNamed(nsData, "value")
		if len(vals) > maxFormValues {
			return nil, errBadRequest(v + ": too many values")
		}
		if v == "FORM_TYPE" {
			if len(vals) > 0 {
				f.FormType = vals[0].Text()
			}
			continue
		}
		if _, dup := f.Values[v]; !dup {
			if len(f.Order) == maxFormFields {
				return nil, errBadRequest("too many fields")
			}
			f.Order = append(f.Order, v)
		}
		texts := make([]string, 0, len(vals))
		for _, val := range vals {
			texts = append(texts, val.Text())
		}
		f.Values[v] = texts
	}
	return f, nil
}

// first returns the first value of field v, "" when it has none.
func (f *Form) first(v string) string {
	if vals := f.Values[v]; len(vals) > 0 {
		return vals[0]
	}
	return ""
}

// option is one choice of a list field; an empty label renders as the
// value, as Prosody's util.dataforms renders options given as strings.
type option struct{ value, label string }

// addValue appends <value>s</value> to a field element.
func addValue(fe *xmlnode.Element, s string) {
	fe.AddChild(nsData, "value").SetText(s)
}

// formTypeField renders the hidden FORM_TYPE field.
func formTypeField(x *xmlnode.Element, ns string) {
	fe := x.AddChild(nsData, "field", "var", "FORM_TYPE", "type", "hidden")
	addValue(fe, ns)
}
