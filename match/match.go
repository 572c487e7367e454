// Package match decides whether a stanza a client received matches the
// stanza a scansion script expected, with the rules of scansion (the test
// tool of Prosody), and explains every difference when it does not.
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
//   - The value {scansion:capture:NAME} (an attribute value, or an
//     element's whole text) binds NAME to the received value the first time
//     it matches, and from then on only matches that same value. Bindings
//     live in a Captures map that the caller keeps for a whole script run;
//     a stanza that does not match as a whole binds nothing.
//   - Text is compared, with surrounding whitespace trimmed on both sides,
//     only where the expected element has some (non-blank) text.
//
// Match and MatchCaptures stop at the first difference (what a receive
// needs to pick a stanza); Diff lists them all, and FormatDiff marks each
// one in the received stanza, for failure reports.
package match

import (
	"encoding/xml"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// NSClient is the default namespace of client streams: elements in it are
// matched loosely.
const NSClient = "jabber:client"

// Any is the attribute value that matches any value.
const Any = "{scansion:any}"

// capturePrefix starts a capture: {scansion:capture:NAME}.
const capturePrefix = "{scansion:capture:"

// CaptureName returns NAME when v is {scansion:capture:NAME}.
func CaptureName(v string) (string, bool) {
	if !strings.HasPrefix(v, capturePrefix) || !strings.HasSuffix(v, "}") || len(v) <= len(capturePrefix)+1 {
		return "", false
	}
	return v[len(capturePrefix) : len(v)-1], true
}

// Captures maps capture names to the values they were bound to.
type Captures map[string]string

// Mismatch explains why a received stanza does not match: where (Path, an
// XPath-like location in the expected stanza, and Got, the received element
// at fault — for a missing child, the received parent that lacks it) and
// what (Reason).
type Mismatch struct {
	Path     string
	Reason   string
	Expected *xmlnode.Element // the expected element at Path
	Got      *xmlnode.Element // the received element that differs
	Attr     string           // the attribute at fault, if any
	Capture  string           // the capture at fault, if any
}

func (m *Mismatch) Error() string { return m.Path + ": " + m.Reason }

// Match reports whether got matches expected, returning nil when it does and
// the first difference when it does not. Captures in expected bind freely
// (each is checked for consistency within this one stanza only).
func Match(expected, got *xmlnode.Element) *Mismatch {
	m, _ := MatchCaptures(expected, got, nil)
	return m
}

// Matches is Match as a boolean.
func Matches(expected, got *xmlnode.Element) bool { return Match(expected, got) == nil }

// MatchCaptures is Match with the captures bound so far (caps, which it does
// not modify). On a match it returns the captures this stanza binds for the
// first time, for the caller to add to caps.
func MatchCaptures(expected, got *xmlnode.Element, caps Captures) (*Mismatch, Captures) {
	m := &matcher{caps: caps}
	if m.elem(expected, got, "", NSClient, NSClient) {
		return nil, m.tent
	}
	return m.diffs[0], nil
}

// MatchesCaptures is MatchCaptures for a caller that needs only the
// answer: it builds no explanation of a difference (no paths, no reasons),
// which is most of the cost of trying a stanza that does not match, as a
// receive does with every queued stanza and a loose element with every
// pairing of children. On a match it returns the same new captures.
func MatchesCaptures(expected, got *xmlnode.Element, caps Captures) (bool, Captures) {
	m := &matcher{caps: caps, quiet: true}
	if m.elem(expected, got, "", NSClient, NSClient) {
		return true, m.tent
	}
	return false, nil
}

// Diff returns every difference between expected and got (nil when they
// match), as far as they can be told apart: attributes, text and children
// of every element that corresponds in both trees.
func Diff(expected, got *xmlnode.Element, caps Captures) []*Mismatch {
	m := &matcher{caps: caps, all: true}
	m.elem(expected, got, "", NSClient, NSClient)
	return m.diffs
}

// matcher carries one comparison: the captures bound before it (caps,
// read only), those it binds (tent), and the differences found. With all
// set it records every difference instead of stopping at the first.
//
// quiet (never with all) records no differences: the caller wants only
// the answer, so no path or reason is built, and the first difference
// ends the comparison.
type matcher struct {
	caps  Captures
	tent  Captures
	all   bool
	quiet bool
	diffs []*Mismatch
}

// fail records a difference and reports whether comparison should go on.
// A quiet matcher's callers test quiet before building d.
func (m *matcher) fail(d *Mismatch) bool {
	m.diffs = append(m.diffs, d)
	return m.all
}

func (m *matcher) lookup(name string) (string, bool) {
	if v, ok := m.tent[name]; ok {
		return v, true
	}
	v, ok := m.caps[name]
	return v, ok
}

// value compares an expected value (attribute or text) with a received
// one; a capture binds or compares. It returns "" when they agree, and the
// reason otherwise.
func (m *matcher) value(want, have string) (reason, capture string) {
	if want == Any {
		return "", ""
	}
	if name, ok := CaptureName(want); ok {
		if v, bound := m.lookup(name); bound {
			if v != have {
				if m.quiet {
					return "differs", name
				}
				return fmt.Sprintf("capture %s is %q, got %q", name, v, have), name
			}
			return "", ""
		}
		if m.tent == nil {
			m.tent = Captures{}
		}
		m.tent[name] = have
		return "", ""
	}
	if want != have {
		if m.quiet {
			return "differs", ""
		}
		return fmt.Sprintf("expected %q, got %q", want, have), ""
	}
	return "", ""
}

// sub returns a matcher for a trial comparison that must not leave
// bindings or differences behind unless adopted.
func (m *matcher) sub() *matcher {
	caps := m.caps
	if len(m.tent) > 0 {
		caps = maps.Clone(m.caps)
		if caps == nil {
			caps = Captures{}
		}
		maps.Copy(caps, m.tent)
	}
	return &matcher{caps: caps, quiet: true}
}

// appendElements appends e's child elements to dst (xmlnode's Elements
// without a new slice per call: the matcher asks at every element).
func appendElements(dst []*xmlnode.Element, e *xmlnode.Element) []*xmlnode.Element {
	for _, c := range e.Children {
		if el, ok := c.(*xmlnode.Element); ok {
			dst = append(dst, el)
		}
	}
	return dst
}

// textOf is e.Text() without a copy when e has at most one text child,
// the usual case.
func textOf(e *xmlnode.Element) string {
	var one xmlnode.Text
	n := 0
	for _, c := range e.Children {
		if t, ok := c.(xmlnode.Text); ok {
			one = t
			if n++; n > 1 {
				return e.Text()
			}
		}
	}
	return string(one)
}

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

// elem compares exp with got and reports whether they match.
func (m *matcher) elem(exp, got *xmlnode.Element, path, expParentNS, gotParentNS string) bool {
	ens, gns := nsOf(exp, expParentNS), nsOf(got, gotParentNS)
	if path == "" && !m.quiet {
		path = step(exp, ens, NSClient, 0)
	}
	if exp.Name.Local != got.Name.Local || ens != gns {
		if m.quiet {
			return false
		}
		m.fail(&Mismatch{Path: path, Expected: exp, Got: got,
			Reason: fmt.Sprintf("expected element <%s xmlns=%q>, got <%s xmlns=%q>", exp.Name.Local, ens, got.Name.Local, gns)})
		return false
	}
	ok := true
	strict := IsStrict(exp, ens)
	// Attributes expected must be there.
	for _, a := range exp.Attr {
		if isScansionAttr(a) {
			continue
		}
		v, present := got.LookupAttr(a.Name.Space, a.Name.Local)
		if m.quiet {
			if !present {
				return false
			}
			if reason, _ := m.value(a.Value, v); reason != "" {
				return false
			}
			continue
		}
		name := attrName(a.Name)
		if !present {
			ok = false
			if !m.fail(&Mismatch{Path: path + "/@" + name, Expected: exp, Got: got, Attr: name,
				Reason: fmt.Sprintf("attribute %s missing (expected %q)", name, a.Value)}) {
				return false
			}
			continue
		}
		if reason, capture := m.value(a.Value, v); reason != "" {
			ok = false
			if !m.fail(&Mismatch{Path: path + "/@" + name, Expected: exp, Got: got, Attr: name, Capture: capture,
				Reason: "attribute " + name + ": " + reason}) {
				return false
			}
		}
	}
	if strict {
		for _, a := range got.Attr {
			if _, present := exp.LookupAttr(a.Name.Space, a.Name.Local); !present {
				if m.quiet {
					return false
				}
				name := attrName(a.Name)
				ok = false
				if !m.fail(&Mismatch{Path: path + "/@" + name, Expected: exp, Got: got, Attr: name,
					Reason: fmt.Sprintf("unexpected attribute %s=%q (strict element)", name, a.Value)}) {
					return false
				}
			}
		}
	}
	if want := strings.TrimSpace(textOf(exp)); want != "" {
		have := strings.TrimSpace(textOf(got))
		if reason, capture := m.value(want, have); reason != "" {
			if m.quiet {
				return false
			}
			ok = false
			if !m.fail(&Mismatch{Path: path + "/text()", Expected: exp, Got: got, Capture: capture,
				Reason: "text: " + reason}) {
				return false
			}
		}
	}
	// Child lists on the stack for the usual few children.
	var eb, gb [8]*xmlnode.Element
	ec, gc := appendElements(eb[:0], exp), appendElements(gb[:0], got)
	if strict {
		return m.strictChildren(exp, got, ec, gc, path, ens, gns) && ok
	}
	return m.looseChildren(ec, gc, path, ens, gns, got) && ok
}

// strictChildren compares children one for one, in order.
func (m *matcher) strictChildren(exp, got *xmlnode.Element, ec, gc []*xmlnode.Element, path, ens, gns string) bool {
	ok := true
	if m.quiet && len(ec) != len(gc) {
		return false
	}
	for i, e := range ec {
		cpath := ""
		if !m.quiet {
			cpath = path + step(e, nsOf(e, ens), ens, i+1)
		}
		if i >= len(gc) {
			ok = false
			if !m.fail(&Mismatch{Path: cpath, Expected: e, Got: got,
				Reason: fmt.Sprintf("missing child %s (strict element has only %d children)", short(e, ens), len(gc))}) {
				return false
			}
			continue
		}
		if !m.elem(e, gc[i], cpath, ens, gns) {
			ok = false
			if !m.all {
				return false
			}
		}
	}
	for i := len(ec); i < len(gc); i++ {
		extra := gc[i]
		ok = false
		if !m.fail(&Mismatch{Path: path + step(extra, nsOf(extra, gns), gns, i+1), Expected: exp, Got: extra,
			Reason: fmt.Sprintf("unexpected child <%s xmlns=%q/> (strict element)", extra.Name.Local, nsOf(extra, gns))}) {
			return false
		}
	}
	return ok
}

// looseChildren finds distinct received children for every expected child
// (in any order) by backtracking; children are few, so this stays cheap.
func (m *matcher) looseChildren(ec, gc []*xmlnode.Element, path, ens, gns string, gotParent *xmlnode.Element) bool {
	if len(ec) == 0 {
		return true
	}
	// cand[i]: the received children expected child i matches on its own.
	cand := make([][]int, len(ec))
	missing := false
	for i, e := range ec {
		for j, g := range gc {
			if m.sub().elem(e, g, "", ens, gns) {
				cand[i] = append(cand[i], j)
			}
		}
		if len(cand[i]) == 0 {
			missing = true
		}
	}
	if missing && m.quiet {
		return false
	}
	if missing {
		ok := true
		for i := range ec {
			if len(cand[i]) == 0 {
				ok = false
				if !m.explainMissing(i, ec, gc, cand, path, ens, gns, gotParent) {
					return false
				}
			}
		}
		return ok
	}
	assigned, found := assign(cand, len(gc))
	if !found {
		if m.quiet {
			return false
		}
		// Every child matches something, but not all at once: name the
		// most contended one.
		e := ec[assigned[len(assigned)-1]]
		m.fail(&Mismatch{Path: path + step(e, nsOf(e, ens), ens, 0), Expected: e, Got: gotParent,
			Reason: fmt.Sprintf("not enough matching %s children", short(e, ens))})
		return false
	}
	// Bind captures for real, pair by pair: two siblings binding one name
	// to different values fail here.
	for i, e := range ec {
		cpath := ""
		if !m.quiet {
			cpath = path + step(e, nsOf(e, ens), ens, 0)
		}
		if !m.elem(e, gc[assigned[i]], cpath, ens, gns) {
			return false
		}
	}
	return true
}

// assign finds distinct received children for every expected child; cand
// lists each one's candidates. It returns assigned[i] = the received index
// of expected child i. When there is no complete assignment it returns the
// expected indexes by constraint instead, most constrained first.
func assign(cand [][]int, ngot int) ([]int, bool) {
	order := make([]int, len(cand))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(cand[order[a]]) < len(cand[order[b]]) })
	used := make([]bool, ngot)
	result := make([]int, len(cand))
	budget := 10000
	var try func(k int) bool
	try = func(k int) bool {
		if k == len(order) {
			return true
		}
		if budget--; budget < 0 {
			return false
		}
		for _, j := range cand[order[k]] {
			if !used[j] {
				used[j], result[order[k]] = true, j
				if try(k + 1) {
					return true
				}
				used[j] = false
			}
		}
		return false
	}
	if try(0) {
		return result, true
	}
	return order, false
}

// explainMissing reports an expected child that matches no received child.
// Received children of the same name that some other expected child
// matches are not blamed: with exactly such siblings left, the child is
// simply missing. Otherwise the closest unclaimed same-named child (fewest
// differences) has its differences reported.
func (m *matcher) explainMissing(i int, ec, gc []*xmlnode.Element, cand [][]int, path, ens, gns string, gotParent *xmlnode.Element) bool {
	e := ec[i]
	cns := nsOf(e, ens)
	cpath := path + step(e, cns, ens, 0)
	claimed := map[int]bool{}
	for k, c := range cand {
		if k != i {
			for _, j := range c {
				claimed[j] = true
			}
		}
	}
	best, bestN := -1, 0
	for j, g := range gc {
		if claimed[j] || g.Name.Local != e.Name.Local || nsOf(g, gns) != cns {
			continue
		}
		t := &matcher{caps: m.sub().caps, all: true}
		t.elem(e, g, cpath, ens, gns)
		if best < 0 || len(t.diffs) < bestN {
			best, bestN = j, len(t.diffs)
		}
	}
	if best < 0 {
		return m.fail(&Mismatch{Path: cpath, Expected: e, Got: gotParent,
			Reason: "missing child " + short(e, ens)})
	}
	return m.elem(e, gc[best], cpath, ens, gns) || m.all
}

// short renders an expected element's start tag on one line, to name a
// missing child.
func short(e *xmlnode.Element, parentNS string) string {
	s := startTag(e, nsOf(e, parentNS), parentNS)
	if len(e.Children) > 0 {
		s = strings.TrimSuffix(s, "/>") + ">…"
	}
	return s
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
