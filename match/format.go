package match

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// Format pretty-prints e, one element per line with tab indentation, for
// failure reports. When mark is an element of e's tree, its line ends with
// "  <-- note", which is how the runner points at the difference.
func Format(e *xmlnode.Element, mark *xmlnode.Element, note string) string {
	var b strings.Builder
	format(&b, e, "", NSClient, mark, note)
	return strings.TrimRight(b.String(), "\n")
}

// FormatMismatch prints got with the element at fault marked by m's reason.
func FormatMismatch(got *xmlnode.Element, m *Mismatch) string {
	if m == nil {
		return Format(got, nil, "")
	}
	return Format(got, m.Got, m.Reason)
}

func format(b *strings.Builder, e *xmlnode.Element, indent, parentNS string, mark *xmlnode.Element, note string) {
	ns := nsOf(e, parentNS)
	b.WriteString(indent)
	open := startTag(e, ns, parentNS)
	elems := e.Elements()
	text := strings.TrimSpace(e.Text())
	switch {
	case len(elems) == 0 && text == "":
		b.WriteString(open)
		markLine(b, e, mark, note)
		return
	case len(elems) == 0:
		open = strings.TrimSuffix(open, "/>") + ">"
		b.WriteString(open)
		b.WriteString(escape(text))
		b.WriteString("</" + e.Name.Local + ">")
		markLine(b, e, mark, note)
		return
	}
	b.WriteString(strings.TrimSuffix(open, "/>") + ">")
	markLine(b, e, mark, note)
	if text != "" {
		b.WriteString(indent + "\t" + escape(text) + "\n")
	}
	for _, c := range elems {
		format(b, c, indent+"\t", ns, mark, note)
	}
	b.WriteString(indent + "</" + e.Name.Local + ">\n")
}

func markLine(b *strings.Builder, e, mark *xmlnode.Element, note string) {
	if mark != nil && e == mark {
		b.WriteString("   <-- " + note)
	}
	b.WriteString("\n")
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// startTag writes e's start tag as a childless element ("<x a='1'/>"),
// with scansion's attributes spelt as in scripts (scansion:strict).
func startTag(e *xmlnode.Element, ns, parentNS string) string {
	var b strings.Builder
	b.WriteString("<" + e.Name.Local)
	if ns != parentNS {
		b.WriteString(` xmlns="` + escapeAttr(ns) + `"`)
	}
	var prefixes []string
	for _, a := range e.Attr {
		b.WriteByte(' ')
		switch {
		case a.Name.Space == "":
		case a.Name.Space == xmlnode.XMLNamespace || a.Name.Space == "xml":
			b.WriteString("xml:")
		case isScansionAttr(a):
			b.WriteString("scansion:")
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
				fmt.Fprintf(&b, `xmlns:ns%d="%s" `, idx, escapeAttr(a.Name.Space))
			}
			fmt.Fprintf(&b, "ns%d:", idx)
		}
		b.WriteString(a.Name.Local + `="` + escapeAttr(a.Value) + `"`)
	}
	b.WriteString("/>")
	return b.String()
}

func escapeAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), "'", "&apos;")
}
