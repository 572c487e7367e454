package script

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// Script is a parsed .scs file.
type Script struct {
	Path    string // the file, as given to ParseFile or Parse; errors name it
	Title   string // the first line's comment, without "#"
	Clients []*Client
	Steps   []*Step
}

// Client is a [Client] block of the header.
type Client struct {
	Name     string
	JID      string // bare JID, from "jid:" (a resource there goes to Resource)
	Password string
	Resource string            // requested resource, "" for server-generated
	Extra    map[string]string // other "key: value" lines, kept for tools
	Line     int               // of the [Client] line, for errors about the client
}

// Action is what a step does.
type Action int

// The actions of the language.
const (
	Connect        Action = iota // "X connects"
	Disconnect                   // "X disconnects"
	Send                         // "X sends:" + XML
	Receive                      // "X receives:" + XML
	ReceiveNothing               // "X receives: nothing"
)

func (a Action) String() string {
	switch a {
	case Connect:
		return "connects"
	case Disconnect:
		return "disconnects"
	case Send:
		return "sends"
	case Receive:
		return "receives"
	case ReceiveNothing:
		return "receives nothing"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Step is one action line of the script with its XML block.
type Step struct {
	Line    int    // of the action line, for failure reports
	Client  string // the [Client] name that acts
	Action  Action
	XML     string   // the indented block, raw (before substitution)
	XMLLine int      // line of the block's first line
	Comment []string // comment lines just above the step, for reports
}

// String renders the step as the script line, e.g. `Romeo receives:`.
func (s *Step) String() string {
	switch s.Action {
	case Send, Receive:
		return s.Client + " " + s.Action.String() + ":"
	case ReceiveNothing:
		return s.Client + " receives: nothing"
	}
	return s.Client + " " + s.Action.String()
}

// ParseError is a syntax error at a line of a script.
type ParseError struct {
	Path string
	Line int    // 1-based, so that "path:line" opens in an editor
	Msg  string // what is wrong, and where possible how to fix it
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// ParseFile reads and parses the script at path.
func ParseFile(path string) (*Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	return Parse(path, bytes.NewReader(b))
}

var (
	clientHeader = regexp.MustCompile(`^\[Client\]\s+(.+?)\s*$`)
	actionLine   = regexp.MustCompile(`^(.+?)\s+(connects|disconnects|sends|receives)\s*(:?)\s*(.*?)\s*$`)
	separator    = regexp.MustCompile(`^-{3,}\s*$`)
	placeholder  = regexp.MustCompile(`\$\{([^}]*)\}`)
	xmlComment   = regexp.MustCompile(`(?s)<!--.*?-->`)
)

func isComment(line string) bool {
	return strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "--")
}

func isIndented(line string) bool {
	return line != "" && (line[0] == ' ' || line[0] == '\t')
}

// Parse parses a script; name is used in errors and as Script.Path.
func Parse(name string, r io.Reader) (*Script, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), " \t\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{name, len(lines) + 1, err.Error()}
	}
	s := &Script{Path: name}
	if len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		s.Title = strings.TrimSpace(strings.TrimLeft(lines[0], "#"))
	}
	i, err := s.parseHeader(lines)
	if err != nil {
		return nil, err
	}
	if err := s.parseSteps(lines[i:], i); err != nil {
		return nil, err
	}
	return s, nil
}

// errorf returns a *ParseError at line of the script.
func (s *Script) errorf(line int, format string, args ...any) error {
	return &ParseError{s.Path, line, fmt.Sprintf(format, args...)}
}

// parseHeader reads the [Client] blocks up to the line of dashes and checks
// each client's JID; it returns the index of the line after the dashes. A
// script with no separator has no header only if it declares no client,
// which is an error anyway.
func (s *Script) parseHeader(lines []string) (int, error) {
	var cur *Client
	headerEnd := -1
	i := 0
	for ; i < len(lines); i++ {
		line := lines[i]
		switch {
		case separator.MatchString(line):
			headerEnd = i
		case line == "" || isComment(line):
			cur = nil
			continue
		case clientHeader.MatchString(line):
			name := clientHeader.FindStringSubmatch(line)[1]
			if s.client(name) != nil {
				return 0, s.errorf(i+1, "client %q declared twice", name)
			}
			cur = &Client{Name: name, Line: i + 1, Extra: map[string]string{}}
			s.Clients = append(s.Clients, cur)
			continue
		case isIndented(line) && cur != nil:
			k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
			if !ok {
				return 0, s.errorf(i+1, "expected \"key: value\" in the [Client] %s block, got %q", cur.Name, strings.TrimSpace(line))
			}
			k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
			switch k {
			case "jid":
				cur.JID = v
			case "password":
				cur.Password = v
			case "resource":
				cur.Resource = v
			default:
				cur.Extra[k] = v
			}
			continue
		default:
			return 0, s.errorf(i+1, "unexpected line in the header (missing a line of dashes before the steps?): %q", line)
		}
		if headerEnd >= 0 {
			i++
			break
		}
	}
	if headerEnd < 0 {
		return 0, s.errorf(len(lines), "no line of dashes ending the header")
	}
	if len(s.Clients) == 0 {
		return 0, s.errorf(headerEnd+1, "no [Client] declared")
	}
	for _, c := range s.Clients {
		if c.JID == "" {
			return 0, s.errorf(c.Line, "client %q has no jid", c.Name)
		}
		// "jid: user@domain/resource" requests a resource too.
		if bare, res, ok := strings.Cut(c.JID, "/"); ok {
			if c.Resource != "" && c.Resource != res {
				return 0, s.errorf(c.Line, "client %q: resource %q conflicts with the jid's %q", c.Name, c.Resource, res)
			}
			c.JID, c.Resource = bare, res
		}
		if local, domain, ok := strings.Cut(c.JID, "@"); !ok || local == "" || domain == "" {
			return 0, s.errorf(c.Line, "client %q: jid %q is not a user@domain JID", c.Name, c.JID)
		}
	}
	return i, nil
}

// parseSteps reads the steps; lines are the script's from index first on,
// so that errors carry the script's line numbers.
func (s *Script) parseSteps(lines []string, first int) error {
	var comments []string
	for i := 0; i < len(lines); {
		line, lineNo := lines[i], first+i+1
		switch {
		case line == "":
			i++
			continue
		case isComment(line):
			comments = append(comments, line)
			i++
			continue
		case isIndented(line):
			return s.errorf(lineNo, "indented line outside a sends:/receives: block: %q", strings.TrimSpace(line))
		}
		m := actionLine.FindStringSubmatch(line)
		if m == nil {
			return s.errorf(lineNo, "expected \"NAME connects|disconnects|sends:|receives:\", got %q", line)
		}
		name, verb, rest := m[1], m[2], m[4]
		if s.client(name) == nil {
			return s.errorf(lineNo, "unknown client %q (declare it with [Client] %s)", name, name)
		}
		st := &Step{Line: lineNo, Client: name, Comment: comments}
		comments = nil
		i++
		switch verb {
		case "connects", "disconnects":
			if rest != "" || m[3] != "" {
				return s.errorf(st.Line, "%q takes no argument", verb)
			}
			st.Action = Connect
			if verb == "disconnects" {
				st.Action = Disconnect
			}
			s.Steps = append(s.Steps, st)
			continue
		}
		st.Action = Send
		if verb == "receives" {
			st.Action = Receive
		}
		var block []string
		start := st.Line + 1
		if rest != "" {
			if strings.EqualFold(rest, "nothing") && st.Action == Receive {
				st.Action = ReceiveNothing
				s.Steps = append(s.Steps, st)
				continue
			}
			block = append(block, rest)
			start = st.Line
		}
		var more []string
		more, i = xmlBlock(lines, i)
		block = append(block, more...)
		st.XML = strings.Join(block, "\n")
		st.XMLLine = start
		if strings.TrimSpace(st.XML) == "" {
			return s.errorf(st.Line, "%s has no XML (indent it below the line)", st)
		}
		if err := s.checkXML(st); err != nil {
			return err
		}
		s.Steps = append(s.Steps, st)
	}
	return nil
}

// xmlBlock returns the XML block of a sends/receives step starting at
// lines[i]: the indented lines, with blank lines between them kept, and the
// index of the first line after the block.
func xmlBlock(lines []string, i int) ([]string, int) {
	var block []string
	for i < len(lines) {
		if isIndented(lines[i]) {
			block = append(block, lines[i])
			i++
			continue
		}
		if lines[i] == "" {
			j := i
			for j < len(lines) && lines[j] == "" {
				j++
			}
			if j < len(lines) && isIndented(lines[j]) {
				for ; i < j; i++ {
					block = append(block, "")
				}
				continue
			}
		}
		break
	}
	return block, i
}

func (s *Script) client(name string) *Client {
	for _, c := range s.Clients {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// checkXML validates a step's block at parse time, with placeholder JIDs,
// so that syntax errors are reported with their line before anything runs.
func (s *Script) checkXML(st *Step) error {
	xmlText, err := s.substitute(st.XML, func(c *Client, full bool) string {
		if full {
			return c.JID + "/placeholder"
		}
		return c.JID
	})
	if err != nil {
		return &ParseError{s.Path, st.XMLLine, err.Error()}
	}
	els, err := parseStanzas(xmlText)
	if err != nil {
		line := st.XMLLine
		var se *xml.SyntaxError
		if errors.As(err, &se) && se.Line > 0 {
			line += se.Line - 1
		}
		return &ParseError{s.Path, line, err.Error()}
	}
	if len(els) == 0 {
		return &ParseError{s.Path, st.XMLLine, "no XML element in the block"}
	}
	return nil
}

// substitute replaces ${NAME's JID} and ${NAME's full JID} using jidOf.
// Names may themselves be possessive ("Juliet's phone's full JID").
func (s *Script) substitute(text string, jidOf func(c *Client, full bool) string) (string, error) {
	var firstErr error
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		inner := strings.TrimSpace(m[2 : len(m)-1])
		var name string
		full := false
		switch {
		case strings.HasSuffix(inner, "'s full JID"):
			name, full = strings.TrimSuffix(inner, "'s full JID"), true
		case strings.HasSuffix(inner, "'s JID"):
			name = strings.TrimSuffix(inner, "'s JID")
		default:
			if firstErr == nil {
				firstErr = fmt.Errorf("unknown substitution %s (want ${NAME's JID} or ${NAME's full JID})", m)
			}
			return m
		}
		c := s.client(name)
		if c == nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("substitution %s names unknown client %q", m, name)
			}
			return m
		}
		return xmlEscape(jidOf(c, full))
	})
	return out, firstErr
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseStanzas parses a block holding one or more top-level elements in the
// jabber:client namespace. Whitespace-only text is dropped.
func parseStanzas(text string) ([]*xmlnode.Element, error) {
	// XML comments are notes to the reader of the script; streams forbid
	// them, so they go before parsing.
	text = xmlComment.ReplaceAllString(text, "")
	w, err := xmlnode.Parse("<scansion-block xmlns='jabber:client'>" + text + "\n</scansion-block>")
	if err != nil {
		return nil, fmt.Errorf("bad XML: %w", err)
	}
	w.TrimSpace()
	if strings.TrimSpace(w.Text()) != "" {
		return nil, fmt.Errorf("text outside any element: %q", strings.TrimSpace(w.Text()))
	}
	return w.Elements(), nil
}
