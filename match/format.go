package match

import (
	"encoding/xml"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// Format pretty-prints e, one element per line with tab indentation, for
// failure reports. When mark is an element of e's tree, its line ends with
// "  <-- note", which is how the runner points at the difference.
func Format(e *xmlnode.Element, mark *xmlnode.Element, note string) string {
	var marks map[*xmlnode.Element][]string
	if mark != nil {
		marks = map[*xmlnode.Element][]string{mark: {note}}
	}
	var b strings.Builder
	format(&b, e, "", NSClient, marks)
	return strings.TrimRight(b.String(), "\n")
}

// FormatMismatch prints got with the element at fault marked by m's reason.
func FormatMismatch(got *xmlnode.Element, m *Mismatch) string {
	if m == nil {
		return Format(got, nil, "")
	}
	return Format(got, m.Got, m.Reason)
}

// FormatDiff prints got with every difference of diffs (from Diff) marked
// on the line of the received element at fault; several differences on one
// element are joined with "; ".
func FormatDiff(got *xmlnode.Element, diffs []*Mismatch) string {
	marks := map[*xmlnode.Element][]string{}
	for _, d := range diffs {
		marks[d.Got] = append(marks[d.Got], d.Reason)
	}
	var b strings.Builder
	format(&b, got, "", NSClient, marks)
	return strings.TrimRight(b.String(), "\n")
}

func format(b *strings.Builder, e *xmlnode.Element, indent, parentNS string, marks map[*xmlnode.Element][]string) {
	ns := nsOf(e, parentNS)
	b.WriteString(indent)
	open := startTag(e, ns, parentNS)
	elems := e.Elements()
	text := strings.TrimSpace(e.Text())
	switch {
	case len(elems) == 0 && text == "":
		b.WriteString(open)
		markLine(b, e, marks)
		return
	case len(elems) == 0:
		open = strings.TrimSuffix(open, "/>") + ">"
		b.WriteString(open)
		b.WriteString(escape(text))
		b.WriteString("</" + e.Name.Local + ">")
		markLine(b, e, marks)
		return
	}
	b.WriteString(strings.TrimSuffix(open, "/>") + ">")
	markLine(b, e, marks)
	if text != "" {
		b.WriteString(indent + "\t" + escape(text) + "\n")
	}
	for _, c := range elems {
		format(b, c, indent+"\t", ns, marks)
	}
	b.WriteString(indent + "</" + e.Name.Local + ">\n")
}

func markLine(b *strings.Builder, e *xmlnode.Element, marks map[*xmlnode.Element][]string) {
	if notes := marks[e]; len(notes) > 0 {
		b.WriteString("   <-- " + strings.Join(notes, "; "))
	}
	b.WriteString("\n")
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// startTag writes e's start tag as a childless element ("<x a='1'/>"),
// serialised by xmlnode as on the wire, except that scansion's attributes
// are spelt as in scripts (scansion:strict) rather than with a generated
// prefix.
func startTag(e *xmlnode.Element, ns, parentNS string) string {
	tag := &xmlnode.Element{Name: xml.Name{Space: ns, Local: e.Name.Local}, Attr: make([]xml.Attr, len(e.Attr))}
	for i, a := range e.Attr {
		if isScansionAttr(a) {
			a.Name = xml.Name{Local: "scansion:" + a.Name.Local}
		}
		tag.Attr[i] = a
	}
	return string(tag.AppendTo(nil, parentNS))
}
