package xmlnode

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// String returns e serialised with its namespace declared, for logs, traces
// and test output.
func (e *Element) String() string {
	var w sliceWriter
	e.write(&w, "")
	return string(w.b)
}

// Encode writes e to w. parentNS is the default namespace in force where e is
// written (for a stanza inside a client stream, "jabber:client"): e's xmlns
// is written only when it differs, so stanzas on the wire look like what
// clients expect.
func (e *Element) Encode(w io.Writer, parentNS string) error {
	if _, err := w.Write(e.AppendTo(nil, parentNS)); err != nil {
		return fmt.Errorf("xmlnode: encode <%s>: %w", e.Name.Local, err)
	}
	return nil
}

// AppendTo appends the serialisation of e to buf, the allocation-light form
// used by the writer's hot path.
func (e *Element) AppendTo(buf []byte, parentNS string) []byte {
	w := sliceWriter{buf}
	e.write(&w, parentNS)
	return w.b
}

// AppendToAttr appends e serialised as e.ShallowCopy().SetAttr(local, value)
// would be, without building that copy: the first attribute named local
// (no namespace) is written with value instead of its own, or, when e has
// none, the attribute is written after the others. It is how one stanza
// goes to many recipients who differ only in "to" (a MUC broadcast): each
// recipient's session encodes the shared stanza with its own address, and
// nothing is allocated per recipient. A Freeze serialisation of e's
// children is used as AppendTo would use it.
func (e *Element) AppendToAttr(buf []byte, parentNS, local, value string) []byte {
	w := sliceWriter{buf}
	e.writeStart(&w, parentNS, local, value, true)
	e.writeRest(&w)
	return w.b
}

// sliceWriter is what every serialisation appends to. It is a concrete
// type, not an interface, so that the compiler keeps it on the caller's
// stack: encoding a stanza into a buffer with room allocates nothing.
type sliceWriter struct{ b []byte }

func (s *sliceWriter) WriteString(str string) (int, error) {
	s.b = append(s.b, str...)
	return len(str), nil
}

func (s *sliceWriter) WriteByte(c byte) error {
	s.b = append(s.b, c)
	return nil
}

func (e *Element) write(w *sliceWriter, parentNS string) {
	e.writeStart(w, parentNS, "", "", false)
	e.writeRest(w)
}

// writeStart writes e's start tag up to its attributes (the closing ">" or
// "/>" is writeRest's). With override, the attribute local (no namespace)
// is written with value: in place of e's first one of that name, or last.
func (e *Element) writeStart(w *sliceWriter, parentNS, local, value string, override bool) {
	w.WriteByte('<')
	w.WriteString(e.Name.Local)
	if e.Name.Space != parentNS {
		w.WriteString(` xmlns="`)
		escapeAttr(w, e.Name.Space)
		w.WriteByte('"')
	}
	// Attribute namespaces other than xml get generated prefixes; room
	// for two on the stack.
	var declared [2]string
	prefixes := declared[:0]
	for _, a := range e.Attr {
		if override && a.Name.Local == local && a.Name.Space == "" {
			a.Value = value
			override = false
		}
		prefixes = writeAttr(w, a, prefixes)
	}
	if override {
		writeAttr(w, xml.Attr{Name: xml.Name{Local: local}, Value: value}, prefixes)
	}
}

// writeAttr writes " name=value", declaring a generated prefix for the
// attribute's namespace on first use; prefixes lists those declared so far
// on this element and is returned updated.
func writeAttr(w *sliceWriter, a xml.Attr, prefixes []string) []string {
	w.WriteByte(' ')
	switch a.Name.Space {
	case "":
	case XMLNamespace, "xml":
		w.WriteString("xml:")
	default:
		idx := -1
		for i, p := range prefixes {
			if p == a.Name.Space {
				idx = i
			}
		}
		if idx < 0 {
			prefixes = append(prefixes, a.Name.Space)
			idx = len(prefixes) - 1
			w.WriteString("xmlns:ns")
			w.WriteString(strconv.Itoa(idx))
			w.WriteString(`="`)
			escapeAttr(w, a.Name.Space)
			w.WriteString(`" `)
		}
		w.WriteString("ns")
		w.WriteString(strconv.Itoa(idx))
		w.WriteByte(':')
	}
	w.WriteString(a.Name.Local)
	w.WriteString(`="`)
	escapeAttr(w, a.Value)
	w.WriteByte('"')
	return prefixes
}

// writeRest writes what follows e's attributes: "/>" when e is empty,
// otherwise ">", the children (the Freeze bytes while they still describe
// them) and the end tag.
func (e *Element) writeRest(w *sliceWriter) {
	if len(e.Children) == 0 {
		w.WriteString("/>")
		return
	}
	w.WriteByte('>')
	if f := e.frozenOf(); f != nil {
		w.WriteString(f.xml)
	} else {
		for _, c := range e.Children {
			writeNode(w, c, e.Name.Space)
		}
	}
	w.WriteString("</")
	w.WriteString(e.Name.Local)
	w.WriteByte('>')
}

// writeNode writes one child node; ns is the namespace of the element it is
// in, the default namespace in force there.
func writeNode(w *sliceWriter, n Node, ns string) {
	switch n := n.(type) {
	case Text:
		escapeText(w, string(n))
	case *Element:
		n.write(w, ns)
	case *Raw:
		n.writeIn(w, ns)
	}
}

// textEscapes and attrEscapes map the bytes that must be escaped to their
// escapes (the rest map to ""). Character data escapes what would end it
// (&, <), > (so "]]>" never appears) and \r (which parsers turn into \n);
// quotes and newlines stay readable. Attribute values, written between
// double quotes, also escape quotes and the whitespace that attribute-value
// normalisation would turn into spaces, so that they read back unchanged.
var (
	textEscapes = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;"}
	attrEscapes = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '\r': "&#xD;",
		'"': "&quot;", '\'': "&apos;", '\n': "&#xA;", '\t': "&#x9;"}
)

func escapeAttr(w *sliceWriter, s string) { escape(w, s, &attrEscapes) }

func escapeText(w *sliceWriter, s string) { escape(w, s, &textEscapes) }

// escape writes s to w with the bytes escapes names replaced. Multi-byte
// UTF-8 sequences pass through: none of their bytes is below 0x80.
func escape(w *sliceWriter, s string, escapes *[256]string) {
	last := 0
	for i := 0; i < len(s); i++ {
		esc := escapes[s[i]]
		if esc == "" {
			continue
		}
		w.WriteString(s[last:i])
		w.WriteString(esc)
		last = i + 1
	}
	w.WriteString(s[last:])
}
