// Package match decides whether a stanza a client received matches the
// stanza a scansion script expected, with the rules of scansion (the test
// tool of Prosody), and explains the first difference when it does not.
//
// The rules:
//
//   - Names must be equal, namespaces included. An element without a
//     namespace counts as jabber:client.
//   - Loose elements (those in jabber:client: the stanza itself, <body/>,
//     <subject/>, <error/>...): every attribute of the expected element must
//     be present with the same value; the received element may have more
//     attributes. Every expected child element must match a distinct child
//     of the received element, in any order; extra received children are
//     allowed.
//   - Strict elements (those in any other namespace, i.e. payloads): the
//     attribute sets must be equal both ways, and the child elements must
//     match one for one, in order, with none extra.
//   - scansion:strict="true" or "false" on an expected element overrides
//     the default for that element (the scansion prefix needs no
//     declaration; an undeclared prefix resolves to "scansion").
//   - The attribute value {scansion:any} matches any value, but the
//     attribute must be present.
//   - Text is compared, with surrounding whitespace trimmed on both sides,
//     only where the expected element has some (non-blank) text.
package match

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// NSClient is the default namespace of client streams: elements in it are
// matched loosely.
const NSClient = "jabber:client"

// Any is the attribute value that matches any value.
const Any = "{scansion:any}"

// Mismatch explains why a received stanza does not match: where (Path, an
// XPath-like location in the expected stanza, and Got, the received element
// at fault, nil when the received element is missing) and what (Reason).
type Mismatch struct {
	Path     string
	Reason   string
	Expected *xmlnode.Element // the expected element at Path
	Got      *xmlnode.Element // the received element that differs, or nil
	Attr     string           // the attribute at fault, if any
}

func (m *Mismatch) Error() string { return m.Path + ": " + m.Reason }

// Match reports whether got matches expected, returning nil when it does and
// the first difference when it does not.
func Match(expected, got *xmlnode.Element) *Mismatch {
	return matchElem(expected, got, "", NSClient, NSClient)
}

// Matches is Match as a boolean.
func Matches(expected, got *xmlnode.Element) bool { return Match(expected, got) == nil }

func nsOf(e *xmlnode.Element, parent string) string {
	if e.Name.Space == "" {
		return parent
	}
	return e.Name.Space
}

// isScansionAttr reports whether a is scansion's own markup (not compared).
func isScansionAttr(a xml.Attr) bool {
	return a.Name.Space == "scansion" || strings.Contains(a.Name.Space, "matthewwild.co.uk/projects/scansion")
}

// IsStrict says whether the expected element e (in namespace ns) is
// compared strictly: the scansion:strict override if present, else whether
// ns is not jabber:client.
func IsStrict(e *xmlnode.Element, ns string) bool {
	for _, a := range e.Attr {
		if isScansionAttr(a) && a.Name.Local == "strict" {
			v := strings.TrimSpace(strings.ToLower(a.Value))
			return v == "true" || v == "1" || v == "yes"
		}
	}
	return ns != NSClient
}

func step(e *xmlnode.Element, ns, parentNS string, idx int) string {
	s := "/" + e.Name.Local
	if ns != parentNS {
		s += "{" + ns + "}"
	}
	if idx > 0 {
		s += fmt.Sprintf("[%d]", idx)
	}
	return s
}

func matchElem(exp, got *xmlnode.Element, path, expParentNS, gotParentNS string) *Mismatch {
	ens, gns := nsOf(exp, expParentNS), nsOf(got, gotParentNS)
	if path == "" {
		path = step(exp, ens, NSClient, 0)
	}
	if exp.Name.Local != got.Name.Local || ens != gns {
		return &Mismatch{Path: path, Expected: exp, Got: got,
			Reason: fmt.Sprintf("expected element <%s xmlns=%q>, got <%s xmlns=%q>", exp.Name.Local, ens, got.Name.Local, gns)}
	}
	strict := IsStrict(exp, ens)
	// Attributes expected must be there.
	for _, a := range exp.Attr {
		if isScansionAttr(a) {
			continue
		}
		v, ok := got.LookupAttr(a.Name.Space, a.Name.Local)
		name := attrName(a.Name)
		if !ok {
			return &Mismatch{Path: path + "/@" + name, Expected: exp, Got: got, Attr: name,
				Reason: fmt.Sprintf("attribute %s missing (expected %q)", name, a.Value)}
		}
		if a.Value != Any && v != a.Value {
			return &Mismatch{Path: path + "/@" + name, Expected: exp, Got: got, Attr: name,
				Reason: fmt.Sprintf("attribute %s: expected %q, got %q", name, a.Value, v)}
		}
	}
	if strict {
		for _, a := range got.Attr {
			if _, ok := exp.LookupAttr(a.Name.Space, a.Name.Local); !ok {
				name := attrName(a.Name)
				return &Mismatch{Path: path + "/@" + name, Expected: exp, Got: got, Attr: name,
					Reason: fmt.Sprintf("unexpected attribute %s=%q (strict element)", name, a.Value)}
			}
		}
	}
	if want := strings.TrimSpace(exp.Text()); want != "" {
		if have := strings.TrimSpace(got.Text()); have != want {
			return &Mismatch{Path: path + "/text()", Expected: exp, Got: got,
				Reason: fmt.Sprintf("text: expected %q, got %q", want, have)}
		}
	}
	ec, gc := exp.Elements(), got.Elements()
	if strict {
		for i, e := range ec {
			cns := nsOf(e, ens)
			cpath := path + step(e, cns, ens, i+1)
			if i >= len(gc) {
				return &Mismatch{Path: cpath, Expected: e, Got: got,
					Reason: fmt.Sprintf("missing child <%s/> (strict element has only %d children)", e.Name.Local, len(gc))}
			}
			if m := matchElem(e, gc[i], cpath, ens, gns); m != nil {
				return m
			}
		}
		if len(gc) > len(ec) {
			extra := gc[len(ec)]
			return &Mismatch{Path: path + step(extra, nsOf(extra, gns), gns, len(ec)+1), Expected: exp, Got: extra,
				Reason: fmt.Sprintf("unexpected child <%s xmlns=%q/> (strict element)", extra.Name.Local, nsOf(extra, gns))}
		}
		return nil
	}
	return matchLoose(ec, gc, path, ens, gns, got)
}

// matchLoose finds distinct received children for every expected child (in
// any order) by backtracking; children are few, so this stays cheap.
func matchLoose(ec, gc []*xmlnode.Element, path, ens, gns string, gotParent *xmlnode.Element) *Mismatch {
	if len(ec) == 0 {
		return nil
	}
	// cand[i]: the received children expected child i matches.
	cand := make([][]int, len(ec))
	for i, e := range ec {
		for j, g := range gc {
			if matchElem(e, g, "", ens, gns) == nil {
				cand[i] = append(cand[i], j)
			}
		}
		if len(cand[i]) == 0 {
			return explainMissing(e, gc, path, ens, gns, gotParent)
		}
	}
	// Most constrained first.
	order := make([]int, len(ec))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(cand[order[a]]) < len(cand[order[b]]) })
	used := make([]bool, len(gc))
	budget := 10000
	var assign func(k int) bool
	assign = func(k int) bool {
		if k == len(order) {
			return true
		}
		if budget--; budget < 0 {
			return false
		}
		for _, j := range cand[order[k]] {
			if !used[j] {
				used[j] = true
				if assign(k + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	if assign(0) {
		return nil
	}
	e := ec[order[len(order)-1]]
	return &Mismatch{Path: path + step(e, nsOf(e, ens), ens, 0), Expected: e, Got: gotParent,
		Reason: fmt.Sprintf("not enough matching <%s/> children", e.Name.Local)}
}

// explainMissing reports the closest received child for an expected child
// that matched none: a same-named child's own mismatch, or "missing".
func explainMissing(e *xmlnode.Element, gc []*xmlnode.Element, path, ens, gns string, gotParent *xmlnode.Element) *Mismatch {
	cns := nsOf(e, ens)
	cpath := path + step(e, cns, ens, 0)
	for _, g := range gc {
		if g.Name.Local == e.Name.Local && nsOf(g, gns) == cns {
			return matchElem(e, g, cpath, ens, gns)
		}
	}
	return &Mismatch{Path: cpath, Expected: e, Got: gotParent,
		Reason: fmt.Sprintf("missing child <%s xmlns=%q/>", e.Name.Local, cns)}
}

func attrName(n xml.Name) string {
	switch n.Space {
	case "":
		return n.Local
	case xmlnode.XMLNamespace, "xml":
		return "xml:" + n.Local
	}
	return "{" + n.Space + "}" + n.Local
}
