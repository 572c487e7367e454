package muc

import "github.com/muctest/muctest/xmlnode"

// XEP-0004 data forms, just what the room needs: building forms field by
// field and reading submitted values.

// field describes one form field to render.
type field struct {
	typ, name, label, desc string
	values                 []string
	options                [][2]string // value, label ("" label: none)
	required               bool
	datatype               string // XEP-0122 validate datatype
	noValue                bool   // render without any <value/>
}

// newForm returns an empty <x xmlns='jabber:x:data' type=typ/>.
func newForm(typ, title, instructions string) *xmlnode.Element {
	x := xmlnode.New(nsData, "x", "type", typ)
	if title != "" {
		child(x, nsData, "title", title)
	}
	if instructions != "" {
		child(x, nsData, "instructions", instructions)
	}
	return x
}

// addField renders f into form x.
func addField(x *xmlnode.Element, f field) {
	fe := child(x, nsData, "field", "", "type", f.typ, "var", f.name, "label", f.label)
	if f.desc != "" {
		child(fe, nsData, "desc", f.desc)
	}
	if f.required {
		child(fe, nsData, "required", "")
	}
	if f.datatype != "" {
		child(fe, nsXDataValid, "validate", "", "datatype", f.datatype)
	}
	for _, o := range f.options {
		oe := child(fe, nsData, "option", "", "label", o[1])
		child(oe, nsData, "value", o[0])
	}
	if f.noValue {
		return
	}
	if len(f.values) == 0 && f.typ != "boolean" && f.typ != "list-multi" {
		child(fe, nsData, "value", "")
	}
	for _, v := range f.values {
		child(fe, nsData, "value", v)
	}
}

// boolValue renders a boolean field value the way Prosody does.
func boolValue(b bool) []string {
	if b {
		return []string{"1"}
	}
	return []string{"0"}
}

// submitted is a submitted form: field name to values, and the order the
// fields came in.
type submitted struct {
	values map[string][]string
}

// readForm reads the fields of a submitted form.
func readForm(x *xmlnode.Element) submitted {
	s := submitted{values: make(map[string][]string)}
	for _, f := range x.ChildrenNamed(nsData, "field") {
		name := f.Attrib("var")
		if name == "" {
			continue
		}
		vals := []string{}
		for _, v := range f.ChildrenNamed(nsData, "value") {
			vals = append(vals, v.Text())
		}
		s.values[name] = vals
	}
	return s
}

// has reports whether field name was submitted.
func (s submitted) has(name string) bool { _, ok := s.values[name]; return ok }

// text returns the first value of name, "" when missing or empty.
func (s submitted) text(name string) string {
	if v := s.values[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// boolean reads a boolean field; anything but 1/true reads as false, as
// Prosody treats an unreadable value.
func (s submitted) boolean(name string) bool {
	v := s.text(name)
	return v == "1" || v == "true"
}

// formType returns a form's FORM_TYPE value.
func formType(x *xmlnode.Element) string {
	for _, f := range x.ChildrenNamed(nsData, "field") {
		if f.Attrib("var") == "FORM_TYPE" {
			return f.ChildText(nsData, "value")
		}
	}
	return ""
}
