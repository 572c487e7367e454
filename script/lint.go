package script

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// The marker that stands for a ${...} in a compiled block: markerStart,
// the index of the ref in decimal, markerEnd. Private-use characters are
// valid XML and never appear in scripts.
const (
	markerStart = '\uE000'
	markerEnd   = '\uE001'
)

// expand returns the step's stanzas with every ${...} filled in by jid.
// A block without substitutions is returned as parsed (the runner never
// modifies a stanza it sends or expects); otherwise a copy is made.
func (st *Step) expand(jid func(r ref) (string, error)) ([]*xmlnode.Element, error) {
	if len(st.refs) == 0 {
		return st.stanzas, nil
	}
	vals := make([]string, len(st.refs))
	for i, r := range st.refs {
		v, err := jid(r)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	out := make([]*xmlnode.Element, len(st.stanzas))
	for i, e := range st.stanzas {
		out[i] = fill(e, vals)
	}
	return out, nil
}

// fill copies e with the markers in attribute values and text replaced by
// vals; subtrees without markers are shared, not copied. One walk finds
// and fills them (a marker test at every level made it quadratic in the
// depth).
func fill(e *xmlnode.Element, vals []string) *xmlnode.Element {
	var children []xmlnode.Node // nil until a child changes
	for i, n := range e.Children {
		var nn xmlnode.Node
		switch n := n.(type) {
		case *xmlnode.Element:
			if c := fill(n, vals); c != n {
				nn = c
			}
		case xmlnode.Text:
			if strings.ContainsRune(string(n), markerStart) {
				nn = xmlnode.Text(fillString(string(n), vals))
			}
		}
		if nn != nil {
			if children == nil {
				children = slices.Clone(e.Children)
			}
			children[i] = nn
		}
	}
	marked := children != nil
	for _, a := range e.Attr {
		marked = marked || strings.ContainsRune(a.Value, markerStart)
	}
	if !marked {
		return e
	}
	if children == nil {
		children = slices.Clone(e.Children)
	}
	c := xmlnode.WithRoom(len(e.Attr)) // one allocation with its attributes
	c.Name, c.Children = e.Name, children
	for _, a := range e.Attr {
		a.Value = fillString(a.Value, vals)
		c.Attr = append(c.Attr, a)
	}
	return c
}

func fillString(s string, vals []string) string {
	if !strings.ContainsRune(s, markerStart) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexRune(s, markerStart)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i+len(string(markerStart)):]
		j := strings.IndexRune(s, markerEnd)
		if j < 0 { // cannot happen: compile writes both
			b.WriteString(s)
			return b.String()
		}
		if n, err := strconv.Atoi(s[:j]); err == nil && n < len(vals) {
			b.WriteString(vals[n])
		}
		s = s[j+len(string(markerEnd)):]
	}
}

// lint checks the order of the steps once they are all read, so that
// mistakes that would only fail while running are reported up front with
// their line: a client acting before it connects (an error), a
// ${X's full JID} before X connects (an error: there is no full JID yet),
// and a send by a client that has disconnected (a warning: as in scansion
// the stanza goes nowhere, which is rarely what was meant).
func (s *Script) lint() error {
	type state struct {
		connected, ever bool
		left            int // line where it disconnected
	}
	st := map[string]*state{}
	for _, c := range s.Clients {
		st[c.Name] = &state{}
	}
	for _, step := range s.Steps {
		cs := st[step.Client]
		for _, r := range step.refs {
			if r.full && !st[r.client.Name].ever && r.client.Name != step.Client {
				return s.errorf(step.Line, "${%s's full JID} is used before %s connects (add \"%s connects\" before this step)", r.client.Name, r.client.Name, r.client.Name)
			}
		}
		switch step.Action {
		case Connect:
			cs.connected, cs.ever = true, true
		case Disconnect, Drop, StreamError:
			if !cs.ever && step.Action != Disconnect {
				return s.errorf(step.Line, "%s: %s never connected (add \"%s connects\" before this step)", step, step.Client, step.Client)
			}
			if cs.connected {
				cs.left = step.Line
			}
			cs.connected = false
		case Send, Receive, ReceiveAnyOrder:
			if !cs.ever {
				return s.errorf(step.Line, "%s %s before it connects (add \"%s connects\" before this step)", step.Client, step.Action, step.Client)
			}
			if step.Action == Send && !cs.connected {
				s.warnf(step.Line, "%s sends after its connection ended at line %d: the stanza goes nowhere (add \"%s connects\" to log in again)", step.Client, cs.left, step.Client)
			}
		}
	}
	return nil
}

// lintBlankLines warns when a blank line separates complete stanzas in one
// block: legal, but usually a missing action line.
func (s *Script) lintBlankLines(st *Step) {
	lines := strings.Split(st.XML, "\n")
	for i := 1; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" || strings.TrimSpace(lines[i-1]) == "" {
			continue
		}
		// lines[i] starts a blank run after text: do both sides parse on
		// their own?
		head := placeholder.ReplaceAllString(strings.Join(lines[:i], "\n"), "x")
		tail := placeholder.ReplaceAllString(strings.Join(lines[i:], "\n"), "x")
		if h, err := parseStanzas(head); err != nil || len(h) == 0 {
			continue
		}
		if t, err := parseStanzas(tail); err != nil || len(t) == 0 {
			continue
		}
		what := "sent by this one step"
		if st.Action != Send {
			what = "expected by this one step"
		}
		s.warnf(st.XMLLine+i, "a blank line separates two stanzas of one block, both %s (if the next one belongs to a new step, its action line is missing)", what)
		return
	}
}

// names lists the declared object names, for did-you-mean.
func (s *Script) names() []string {
	out := make([]string, len(s.Clients))
	for i, c := range s.Clients {
		out[i] = c.Name
	}
	return out
}

// verbs are the words an action line may use after the name.
var verbs = []string{"connects", "disconnects", "sends", "receives"}

// unknownVerb explains a line that is no action: a misspelt verb after a
// known name, or a known verb after a misspelt name.
func (s *Script) unknownVerb(line string, lineNo int) error {
	for _, c := range s.Clients {
		if rest, ok := strings.CutPrefix(line, c.Name+" "); ok {
			word := strings.TrimRight(strings.Fields(rest + " x")[0], ":")
			if sug := closest(word, append(verbs, "connection")); sug != "" {
				if sug == "connection" {
					sug = "'s connection drops"
					return s.errorf(lineNo, "unknown action %q: did you mean \"%s%s\"?", line, c.Name, sug)
				}
				return s.errorf(lineNo, "unknown action %q: did you mean %q?", word, sug)
			}
		}
	}
	words := strings.Fields(line)
	if last := len(words) - 1; last >= 1 {
		for _, v := range verbs {
			if strings.TrimRight(words[last], ":") == v {
				return s.unknownClient(strings.Join(words[:last], " "), lineNo)
			}
		}
	}
	return s.errorf(lineNo, "expected \"NAME connects|disconnects|sends:|receives:\" (or \"receives in any order:\", \"receives stream error:\", \"NAME's connection drops\"), got %q", line)
}

// unknownClient is the error for an action by an undeclared name.
func (s *Script) unknownClient(name string, lineNo int) error {
	msg := fmt.Sprintf("unknown client %q", name)
	if sug := closest(name, s.names()); sug != "" {
		msg += fmt.Sprintf(": did you mean %q?", sug)
	} else {
		msg += fmt.Sprintf(" (declare it with [Client] %s)", name)
	}
	return s.errorf(lineNo, "%s", msg)
}

// closest returns the candidate nearest to word (case-insensitive edit
// distance at most a third of its length, and at least 1 allowed), or ""
// when none is near enough.
func closest(word string, candidates []string) string {
	best, bestD := "", 0
	limit := max(1, len([]rune(word))/3)
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if d <= limit && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the edit distance between a and b, in runes, counting
// a swap of two neighbours as one edit (the commonest typo: "Romoe").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
