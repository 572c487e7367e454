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
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/muctest/muctest/xmlnode"
)

// Script is a parsed .scs file.
type Script struct {
	Path        string   // the file, as given to ParseFile or Parse; errors name it
	Title       string   // the first line's comment, without "#"
	Description string   // the "#" lines right after the title, joined with "\n"
	Tags        []string // from "## tag1 tag2" lines of the header, for muctest -tag/-skip-tag
	Clients     []*Client
	Steps       []*Step
	// Warnings are lint findings that do not stop the script from running
	// (a blank line between two stanzas of one block, a send by a client
	// that has disconnected); muctest prints them.
	Warnings []*ParseError
}

// HasTag reports whether the script carries tag (case-insensitive).
func (s *Script) HasTag(tag string) bool {
	for _, t := range s.Tags {
		if strings.EqualFold(t, tag) {
			return true
		}
	}
	return false
}

// Client is a [Client] or [Component] block of the header.
type Client struct {
	Name string
	// JID is the bare JID, from "jid:" (a resource there goes to
	// Resource). For a component it is the component's domain.
	// ${NAME's JID} is Declared, not JID.
	JID string
	// Password is the account's password; for a component, the XEP-0114
	// shared secret.
	Password string
	Resource string // requested resource, "" for server-generated
	// Component is set for a [Component] object: the runner connects it as
	// an XEP-0114 external component instead of a client.
	Component bool
	// Host and Port, from custom_host and custom_port, make this object
	// connect there instead of to Options.Addr (Options.ComponentAddr for
	// a component). Either may be given alone.
	Host string
	Port int
	// Extra holds the other "key: value" lines, kept for tools.
	Extra map[string]string
	Line  int // of the [Client] line, for errors about the client

	declared string // the "jid:" line's value, for Declared
}

// Declared is the JID as the object's "jid:" line gives it: bare, or with
// the resource asked for when the line has one (a "resource:" line does
// not count); a component's domain. It is what ${NAME's JID} stands for,
// as in scansion, which substitutes a client's configured JID: a script
// whose client is declared as user@domain/resource writes that client's
// bare JID out.
func (c *Client) Declared() string {
	if c.declared != "" {
		return c.declared
	}
	return c.JID
}

// Kind is "Client" or "Component", as the header spells it.
func (c *Client) Kind() string {
	if c.Component {
		return "Component"
	}
	return "Client"
}

// Action is what a step does.
type Action int

// The actions of the language.
const (
	Connect         Action = iota // "X connects"
	Disconnect                    // "X disconnects"
	Send                          // "X sends:" + XML
	Receive                       // "X receives:" + XML
	ReceiveNothing                // "X receives: nothing"
	ReceiveAnyOrder               // "X receives in any order:" + XML
	Drop                          // "X's connection drops"
	StreamError                   // "X receives stream error: CONDITION"
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
	case ReceiveAnyOrder:
		return "receives in any order"
	case Drop:
		return "connection drops"
	case StreamError:
		return "receives stream error"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Step is one action line of the script with its XML block.
type Step struct {
	Line    int    // of the action line, for failure reports
	Client  string // the [Client] name that acts
	Action  Action
	XML     string   // the indented block, raw (before substitution), "#" lines blanked
	XMLLine int      // line of the block's first line
	Comment []string // comment lines just above the step, for reports
	// Condition is the stream error a StreamError step expects (e.g.
	// "conflict"); "" accepts any.
	Condition string

	// stanzas is the block parsed once, at parse time, with every
	// ${...} replaced by a marker naming refs[i]; expand fills them in.
	stanzas []*xmlnode.Element
	refs    []ref
}

// ref is one ${NAME's JID} or ${NAME's full JID} of a block.
type ref struct {
	client *Client
	full   bool
}

// String renders the step as the script line, e.g. `Romeo receives:`.
func (s *Step) String() string {
	switch s.Action {
	case Send, Receive, ReceiveAnyOrder:
		return s.Client + " " + s.Action.String() + ":"
	case ReceiveNothing:
		return s.Client + " receives: nothing"
	case Drop:
		return s.Client + "'s connection drops"
	case StreamError:
		if s.Condition == "" {
			return s.Client + " receives stream error"
		}
		return s.Client + " receives stream error: " + s.Condition
	}
	return s.Client + " " + s.Action.String()
}

// ParseError is a syntax error at a line of a script (or, in
// Script.Warnings, a lint warning).
type ParseError struct {
	Path string
	Line int    // 1-based, of the file, so that "path:line" opens in an editor
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
	objectHeader  = regexp.MustCompile(`^\[(Client|Component)\]\s+(.+?)\s*$`)
	anyHeader     = regexp.MustCompile(`^\[([^\]]*)\]`)
	connectLine   = regexp.MustCompile(`^(.+?)\s+(connects|disconnects)\s*(:?)\s*(.*?)\s*$`)
	dropLine      = regexp.MustCompile(`^(.+)'s\s+connection\s+drops\s*$`)
	sendLine      = regexp.MustCompile(`^(.+?)\s+sends\s*(:?)\s*(.*?)\s*$`)
	anyOrderLine  = regexp.MustCompile(`^(.+?)\s+receives\s+in\s+any\s+order\s*(:?)\s*(.*?)\s*$`)
	streamErrLine = regexp.MustCompile(`^(.+?)\s+receives\s+stream\s+error\s*(:?)\s*(.*?)\s*$`)
	receiveLine   = regexp.MustCompile(`^(.+?)\s+receives\s*(:?)\s*(.*?)\s*$`)
	separator     = regexp.MustCompile(`^-{3,}\s*$`)
	placeholder   = regexp.MustCompile(`\$\{([^}]*)\}`)
	xmlComment    = regexp.MustCompile(`(?s)<!--.*?-->`)
	condition     = regexp.MustCompile(`^<?\s*([a-z][a-z-]*)(?:\s+xmlns\s*=\s*(?:'[^']*'|"[^"]*"))?\s*/?>?$`)
)

func isComment(line string) bool {
	return strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "--")
}

func isIndented(line string) bool {
	return line != "" && (line[0] == ' ' || line[0] == '\t')
}

// Parse parses a script; name is used in errors and as Script.Path. A
// leading UTF-8 byte order mark is ignored.
func Parse(name string, r io.Reader) (*Script, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if len(lines) == 0 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		lines = append(lines, strings.TrimRight(line, " \t\r"))
	}
	if err := sc.Err(); err != nil {
		msg := err.Error()
		if errors.Is(err, bufio.ErrTooLong) {
			msg = "line too long (over 1 MiB)"
		}
		return nil, &ParseError{name, len(lines) + 1, msg}
	}
	s := &Script{Path: name}
	i, err := s.parseHeader(lines)
	if err != nil {
		return nil, err
	}
	if err := s.parseSteps(lines[i:], i); err != nil {
		return nil, err
	}
	if err := s.lint(); err != nil {
		return nil, err
	}
	return s, nil
}

// errorf returns a *ParseError at line of the script.
func (s *Script) errorf(line int, format string, args ...any) *ParseError {
	return &ParseError{s.Path, line, fmt.Sprintf(format, args...)}
}

func (s *Script) warnf(line int, format string, args ...any) {
	s.Warnings = append(s.Warnings, s.errorf(line, format, args...))
}

// parseHeader reads the title, description and tags, then the [Client]
// and [Component] blocks up to the line of dashes, and checks each
// object's JID; it returns the index of the line after the dashes.
//
// The title is the first line's comment; the "#" lines right after it
// (up to the first blank line or object) are the description. A "##"
// line anywhere in the header lists tags, separated by spaces or commas,
// optionally after "tags:".
func (s *Script) parseHeader(lines []string) (int, error) {
	var cur *Client
	headerEnd := -1
	inDescription := false
	var desc []string
	i := 0
	for ; i < len(lines); i++ {
		line := lines[i]
		switch {
		case separator.MatchString(line):
			headerEnd = i
		case strings.HasPrefix(line, "##"):
			cur, inDescription = nil, false
			for _, t := range strings.FieldsFunc(strings.TrimSpace(strings.TrimLeft(line, "#")), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
				if strings.EqualFold(t, "tags:") || strings.EqualFold(t, "tags") {
					continue
				}
				s.Tags = append(s.Tags, t)
			}
			continue
		case strings.HasPrefix(line, "#") && i == 0:
			s.Title = strings.TrimSpace(strings.TrimLeft(line, "#"))
			inDescription = true
			continue
		case strings.HasPrefix(line, "#") && inDescription:
			desc = append(desc, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			continue
		case line == "" || isComment(line):
			cur, inDescription = nil, false
			continue
		case objectHeader.MatchString(line):
			inDescription = false
			m := objectHeader.FindStringSubmatch(line)
			name := m[2]
			if c := s.client(name); c != nil {
				return 0, s.errorf(i+1, "%s %q declared twice (first at line %d)", m[1], name, c.Line)
			}
			cur = &Client{Name: name, Line: i + 1, Component: m[1] == "Component", Extra: map[string]string{}}
			s.Clients = append(s.Clients, cur)
			continue
		case anyHeader.MatchString(line):
			kind := anyHeader.FindStringSubmatch(line)[1]
			msg := fmt.Sprintf("unknown object [%s] (want [Client] or [Component])", kind)
			if sug := closest(kind, []string{"Client", "Component"}); sug != "" {
				msg += fmt.Sprintf(": did you mean [%s]?", sug)
			}
			return 0, s.errorf(i+1, "%s", msg)
		case isIndented(line) && cur != nil:
			if err := s.objectField(cur, strings.TrimSpace(line), i+1); err != nil {
				return 0, err
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
	s.Description = strings.Join(desc, "\n")
	if headerEnd < 0 {
		return 0, s.errorf(max(len(lines), 1), "no line of dashes ending the header")
	}
	if len(s.Clients) == 0 {
		return 0, s.errorf(headerEnd+1, "no [Client] declared")
	}
	for _, c := range s.Clients {
		if err := s.checkObject(c); err != nil {
			return 0, err
		}
	}
	return i, nil
}

// objectField reads one "key: value" line of a [Client] or [Component].
func (s *Script) objectField(c *Client, field string, line int) error {
	k, v, ok := strings.Cut(field, ":")
	if !ok {
		return s.errorf(line, "expected \"key: value\" in the [%s] %s block, got %q", c.Kind(), c.Name, field)
	}
	k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
	switch k {
	case "jid":
		c.JID = v
	case "password":
		c.Password = v
	case "resource":
		c.Resource = v
	case "custom_host":
		c.Host = v
	case "custom_port":
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 || p > 65535 {
			return s.errorf(line, "custom_port %q is not a port number (1-65535)", v)
		}
		c.Port = p
	default:
		c.Extra[k] = v
	}
	return nil
}

// checkObject checks a declared object's JID once its block is read.
func (s *Script) checkObject(c *Client) error {
	if c.JID == "" {
		return s.errorf(c.Line, "%s %q has no jid", strings.ToLower(c.Kind()), c.Name)
	}
	if c.Component {
		if strings.ContainsAny(c.JID, "@/") {
			return s.errorf(c.Line, "component %q: jid %q must be a bare domain (e.g. gateway.localhost)", c.Name, c.JID)
		}
		if c.Resource != "" {
			return s.errorf(c.Line, "component %q: a component has no resource", c.Name)
		}
		if !xmlChars(c.JID) {
			return s.errorf(c.Line, "component %q: jid %q holds a character XML cannot carry", c.Name, c.JID)
		}
		return nil
	}
	c.declared = c.JID
	// "jid: user@domain/resource" requests a resource too.
	if bare, res, ok := strings.Cut(c.JID, "/"); ok {
		if c.Resource != "" && c.Resource != res {
			return s.errorf(c.Line, "client %q: resource %q conflicts with the jid's %q", c.Name, c.Resource, res)
		}
		c.JID, c.Resource = bare, res
	}
	if local, domain, ok := strings.Cut(c.JID, "@"); !ok || local == "" || domain == "" {
		return s.errorf(c.Line, "client %q: jid %q is not a user@domain JID", c.Name, c.JID)
	}
	// A JID with a control character could not even be written into the
	// stanzas that name it. Anything else is left to the server, as
	// scripts may pin how one answers odd JIDs.
	if !xmlChars(c.declared) {
		return s.errorf(c.Line, "client %q: jid %q holds a character XML cannot carry", c.Name, c.declared)
	}
	return nil
}

// xmlChars reports whether s is UTF-8 of XML 1.0 characters other than
// the whitespace controls (tab, newline, carriage return), which no JID
// has either.
func xmlChars(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
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
		st, rest, err := s.actionLine(line, lineNo)
		if err != nil {
			return err
		}
		st.Comment = comments
		comments = nil
		i++
		switch st.Action {
		case Connect, Disconnect, Drop, StreamError:
			s.Steps = append(s.Steps, st)
			continue
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
		if err := s.compile(st); err != nil {
			return err
		}
		s.Steps = append(s.Steps, st)
	}
	return nil
}

// actionLine parses one step line into a step and the text after its
// colon (the first line of a block written on the same line).
func (s *Script) actionLine(line string, lineNo int) (*Step, string, error) {
	st := &Step{Line: lineNo}
	// Each form is tried in turn; the first whose name is a declared
	// object wins, so that a verb inside the XML on the same line
	// ("Romeo sends: <body>Juliet connects</body>") is not taken for one.
	type form struct {
		re     *regexp.Regexp
		action Action
	}
	forms := []form{{dropLine, Drop}, {anyOrderLine, ReceiveAnyOrder}, {streamErrLine, StreamError},
		{sendLine, Send}, {receiveLine, Receive}, {connectLine, Connect}}
	var name, colon, rest, first string
	found := false
	for _, f := range forms {
		m := f.re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, c, r, a := m[1], "", "", f.action
		switch f.re {
		case dropLine:
		case connectLine:
			c, r = m[3], m[4]
			if m[2] == "disconnects" {
				a = Disconnect
			}
		default:
			c, r = m[2], m[3]
		}
		if first == "" {
			first = n
		}
		if s.client(n) != nil {
			name, colon, rest, st.Action, found = n, c, r, a, true
			break
		}
	}
	if !found {
		if first == "" {
			return nil, "", s.unknownVerb(line, lineNo)
		}
		return nil, "", s.unknownClient(first, lineNo)
	}
	st.Client = name
	switch st.Action {
	case Connect, Disconnect:
		if rest != "" || colon != "" {
			return nil, "", s.errorf(lineNo, "%q takes no argument", st.Action)
		}
	case StreamError:
		if rest != "" {
			m := condition.FindStringSubmatch(rest)
			if m == nil {
				return nil, "", s.errorf(lineNo, "stream error condition %q: want a condition name such as conflict or <conflict/>", rest)
			}
			if !streamConditions[m[1]] {
				msg := fmt.Sprintf("%q is not a stream error condition of RFC 6120 section 4.9.3", m[1])
				if sug := closest(m[1], streamConditionList); sug != "" {
					msg += fmt.Sprintf(": did you mean %s?", sug)
				}
				return nil, "", s.errorf(lineNo, "%s", msg)
			}
			st.Condition = m[1]
		}
	}
	return st, rest, nil
}

// streamConditionList holds the defined stream error conditions (RFC 6120
// section 4.9.3).
var streamConditionList = []string{
	"bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone", "host-unknown",
	"improper-addressing", "internal-server-error", "invalid-from", "invalid-namespace", "invalid-xml",
	"not-authorized", "not-well-formed", "policy-violation", "remote-connection-failed", "reset",
	"resource-constraint", "restricted-xml", "see-other-host", "system-shutdown", "undefined-condition",
	"unsupported-encoding", "unsupported-feature", "unsupported-stanza-type", "unsupported-version",
}

var streamConditions = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range streamConditionList {
		m[c] = true
	}
	return m
}()

// xmlBlock returns the XML block of a sends/receives step starting at
// lines[i]: the indented lines, with blank lines and "#" comment lines
// between them kept as blank lines (so that line numbers still count), and
// the index of the first line after the block. An indented line whose
// text starts with "#" is a comment too.
func xmlBlock(lines []string, i int) ([]string, int) {
	var block []string
	for i < len(lines) {
		if isIndented(lines[i]) {
			if strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
				block = append(block, "")
			} else {
				block = append(block, lines[i])
			}
			i++
			continue
		}
		if lines[i] == "" || strings.HasPrefix(lines[i], "#") {
			j := i
			for j < len(lines) && (lines[j] == "" || strings.HasPrefix(lines[j], "#")) {
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
	for len(block) > 0 && block[len(block)-1] == "" {
		block = block[:len(block)-1]
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

// compile parses a step's block once, at parse time: each ${...} becomes a
// marker (a private-use character and the index of a ref), so that syntax
// errors are reported with their line before anything runs, and running
// the step only copies the tree with the JIDs filled in.
func (s *Script) compile(st *Step) error {
	var refs []ref
	var firstErr error
	text := placeholder.ReplaceAllStringFunc(st.XML, func(m string) string {
		c, full, err := s.resolve(m)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		refs = append(refs, ref{client: c, full: full})
		return string(markerStart) + strconv.Itoa(len(refs)-1) + string(markerEnd)
	})
	if firstErr != nil {
		return &ParseError{s.Path, st.XMLLine + lineOf(st.XML, firstErr), firstErr.Error()}
	}
	els, err := parseStanzas(text)
	if err != nil {
		line := st.XMLLine
		var pe *blockError
		if errors.As(err, &pe) && pe.line > 0 {
			line += pe.line - 1
		}
		return &ParseError{s.Path, line, err.Error()}
	}
	if len(els) == 0 {
		return &ParseError{s.Path, st.XMLLine, "no XML element in the block"}
	}
	st.stanzas, st.refs = els, refs
	if len(els) > 1 && strings.Contains(st.XML, "\n\n") {
		s.lintBlankLines(st)
	}
	return nil
}

// lineOf is the 0-based line within block of the placeholder an error
// names, for its report.
func lineOf(block string, err error) int {
	var se *substError
	if errors.As(err, &se) {
		if i := strings.Index(block, se.text); i >= 0 {
			return strings.Count(block[:i], "\n")
		}
	}
	return 0
}

// substError is a ${...} that names nothing.
type substError struct{ text, msg string }

func (e *substError) Error() string { return e.msg }

// resolve reads one ${NAME's JID} or ${NAME's full JID}. Names may
// themselves be possessive ("Juliet's phone's full JID").
func (s *Script) resolve(m string) (*Client, bool, error) {
	inner := strings.TrimSpace(m[2 : len(m)-1])
	var name string
	full := false
	switch {
	case strings.HasSuffix(inner, "'s full JID"):
		name, full = strings.TrimSuffix(inner, "'s full JID"), true
	case strings.HasSuffix(inner, "'s JID"):
		name = strings.TrimSuffix(inner, "'s JID")
	default:
		return nil, false, &substError{m, fmt.Sprintf("unknown substitution %s (want ${NAME's JID} or ${NAME's full JID})", m)}
	}
	c := s.client(name)
	if c == nil {
		msg := fmt.Sprintf("substitution %s names unknown client %q", m, name)
		if sug := closest(name, s.names()); sug != "" {
			msg += fmt.Sprintf(": did you mean %q?", sug)
		}
		return nil, false, &substError{m, msg}
	}
	return c, full, nil
}

// substitute replaces ${NAME's JID} and ${NAME's full JID} in text using
// jidOf, XML-escaped, for tools that want a block as text.
func (s *Script) substitute(text string, jidOf func(c *Client, full bool) string) (string, error) {
	var firstErr error
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		c, full, err := s.resolve(m)
		if err != nil {
			if firstErr == nil {
				firstErr = err
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

// blockError is an XML error in a block, at a line of the block.
type blockError struct {
	line int // 1-based within the block, 0 when unknown
	msg  string
}

func (e *blockError) Error() string { return e.msg }

// parseStanzas parses a block holding one or more top-level elements in the
// jabber:client namespace. Whitespace-only text is dropped. Errors read as
// the script's author needs them: no package prefixes, and the line in
// blockError rather than in the text.
func parseStanzas(text string) ([]*xmlnode.Element, error) {
	// XML comments are notes to the reader of the script; streams forbid
	// them, so they go before parsing (newlines kept, for line numbers).
	text = xmlComment.ReplaceAllStringFunc(text, func(c string) string { return strings.Repeat("\n", strings.Count(c, "\n")) })
	w, err := xmlnode.Parse("<scansion-block xmlns='jabber:client'>" + text + "\n</scansion-block>")
	if err != nil {
		return nil, xmlError(err)
	}
	w.TrimSpace()
	if strings.TrimSpace(w.Text()) != "" {
		return nil, &blockError{msg: fmt.Sprintf("text outside any element: %q", strings.TrimSpace(w.Text()))}
	}
	return w.Elements(), nil
}

// xmlError turns a parse error of a block into a blockError.
func xmlError(err error) *blockError {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		msg := se.Msg
		if strings.Contains(msg, "scansion-block") {
			msg = "unclosed element at the end of the block"
			if strings.Contains(se.Msg, "closed by </scansion-block>") {
				msg = "element " + strings.TrimSuffix(strings.TrimPrefix(se.Msg, "element "), " closed by </scansion-block>") + " is not closed in this block"
			}
			return &blockError{msg: "bad XML: " + msg}
		}
		return &blockError{line: se.Line, msg: "bad XML: " + msg}
	}
	msg := err.Error()
	for _, p := range []string{"xmlnode: parse: ", "xmlnode: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return &blockError{msg: "bad XML: " + msg}
}
