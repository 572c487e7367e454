// Package streamframe turns an XMPP stream into standalone top-level
// elements and back, for the transports that carry XMPP elements one by one
// instead of as one XML document: RFC 7395 (XMPP over WebSocket, one element
// per WebSocket message, <open/> and <close/> instead of the stream tags)
// and XEP-0206 (XMPP over BOSH, elements inside HTTP <body/> wrappers).
//
// The c2s package speaks the stream itself: a transport hands it a net.Conn
// whose input is a synthetic stream (the client's <open/> becomes a stream
// header, its elements follow) and whose output it cuts back into elements
// with a Splitter. That way the stream negotiation, the limits and the
// stream errors are those of a TCP client, written once.
//
// A Scanner follows just enough XML structure (tags, quoted attribute
// values, comments, CDATA sections, processing instructions) to tell where
// each top-level element starts and ends. It does not check well-formedness:
// the c2s decoder behind it does that, with its size, depth and attribute
// limits.
package streamframe

import "bytes"

// Namespaces of the framing elements.
const (
	NSFraming = "urn:ietf:params:xml:ns:xmpp-framing" // RFC 7395 <open/>, <close/>
	NSClient  = "jabber:client"
	NSStream  = "http://etherx.jabber.org/streams"
)

// Scanner states.
const (
	sText      = iota // character data (or whitespace between top-level elements)
	sLT               // just after '<'
	sName             // in a start tag's name
	sTag              // in a start tag, after the name
	sQuote            // in a quoted attribute value
	sEnd              // in an end tag
	sPI               // in a processing instruction
	sBang             // after "<!": a comment, a CDATA section or a directive
	sComment          // in a comment
	sCDATA            // in a CDATA section
	sDirective        // in a directive (DOCTYPE and the like)
)

// Event is what a byte meant at the top level of the stream.
type Event uint8

// Events reported by Scanner.Step. Only top-level structure is reported:
// everything inside an element is EvNone.
const (
	EvNone      Event = iota
	EvStart           // '<' of a top-level start tag (or of anything else: PI, comment...)
	EvNameEnd         // the byte after a top-level start tag's name (the name is in Name)
	EvStartOpen       // '>' ending a top-level start tag that leaves the element open
	EvElement         // '>' ending a whole top-level element (self-closing or end tag)
	EvEndTag          // '>' of an end tag at the top level, closing nothing (</stream:stream>)
	EvPI              // '>' ending a top-level processing instruction
	EvOther           // '>' ending a top-level comment or directive
	EvText            // a byte of non-whitespace text at the top level
)

// maxName bounds the part of a top-level start tag's name kept in Name.
const maxName = 64

// Scanner tracks the nesting of a byte stream one byte at a time. The zero
// value starts at the top level, outside any element.
type Scanner struct {
	state   uint8
	quote   byte
	seq     int  // progress through "--", "[CDATA[", "-->", "]]>", "?>"
	slash   bool // the last byte of a start tag outside quotes was '/'
	Depth   int  // open elements
	name    [maxName]byte
	nameLen int
	// attr is the current attribute name of a top-level start tag, for
	// HasXMLNS and HasStreamNS.
	attr        [16]byte
	attrLen     int
	inAttrName  bool
	HasXMLNS    bool // the top-level start tag declares a default namespace
	HasStreamNS bool // the top-level start tag declares the stream prefix
}

// Name returns the (possibly truncated) qualified name of the last
// top-level start tag.
func (s *Scanner) Name() string { return string(s.name[:s.nameLen]) }

// Local returns the local part of Name.
func (s *Scanner) Local() string {
	n := s.name[:s.nameLen]
	for i, b := range n {
		if b == ':' {
			return string(n[i+1:])
		}
	}
	return string(n)
}

// Prefix returns the prefix of Name ("" when unprefixed).
func (s *Scanner) Prefix() string {
	n := s.name[:s.nameLen]
	for i, b := range n {
		if b == ':' {
			return string(n[:i])
		}
	}
	return ""
}

// Top reports whether the scanner stands at the top level between elements.
func (s *Scanner) Top() bool { return s.state == sText && s.Depth == 0 }

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// Step consumes one byte and reports its top-level meaning.
func (s *Scanner) Step(b byte) Event {
	switch s.state {
	case sText:
		if b == '<' {
			s.state = sLT
			if s.Depth == 0 {
				return EvStart
			}
			return EvNone
		}
		if s.Depth == 0 && !isSpace(b) {
			return EvText
		}
	case sLT:
		switch b {
		case '/':
			s.state = sEnd
		case '?':
			s.state, s.seq = sPI, 0
		case '!':
			s.state, s.seq = sBang, 0
		default:
			s.state, s.slash = sName, false
			if s.Depth == 0 {
				s.nameLen, s.HasXMLNS, s.HasStreamNS, s.attrLen, s.inAttrName = 0, false, false, 0, false
				s.name[0] = b
				s.nameLen = 1
			}
		}
	case sName:
		if isSpace(b) || b == '/' || b == '>' {
			s.state = sTag
			if ev := s.tag(b); ev != EvNone {
				return ev // a name ended by '>': Name is complete too
			}
			if s.Depth == 0 {
				return EvNameEnd
			}
			return EvNone
		}
		if s.Depth == 0 && s.nameLen < maxName {
			s.name[s.nameLen] = b
			s.nameLen++
		}
	case sTag:
		return s.tag(b)
	case sQuote:
		if b == s.quote {
			s.state = sTag
		}
	case sEnd:
		if b == '>' {
			s.state = sText
			if s.Depth == 0 {
				return EvEndTag
			}
			s.Depth--
			if s.Depth == 0 {
				return EvElement
			}
		}
	case sPI:
		switch {
		case b == '?':
			s.seq = 1
		case b == '>' && s.seq == 1:
			s.state = sText
			if s.Depth == 0 {
				return EvPI
			}
		default:
			s.seq = 0
		}
	case sBang:
		const cdata = "[CDATA["
		switch {
		case s.seq == 0 && b == '-':
			s.seq = -1
		case s.seq == -1 && b == '-':
			s.state, s.seq = sComment, 0
		case s.seq >= 0 && s.seq < len(cdata) && b == cdata[s.seq]:
			s.seq++
			if s.seq == len(cdata) {
				s.state, s.seq = sCDATA, 0
			}
		default:
			s.state = sDirective
			return s.Step(b)
		}
	case sComment:
		switch {
		case b == '-' && s.seq < 2:
			s.seq++
		case b == '>' && s.seq == 2:
			s.state = sText
			if s.Depth == 0 {
				return EvOther
			}
		case b == '-':
		default:
			s.seq = 0
		}
	case sCDATA:
		switch {
		case b == ']' && s.seq < 2:
			s.seq++
		case b == '>' && s.seq == 2:
			s.state = sText
		case b == ']':
		default:
			s.seq = 0
		}
	case sDirective:
		if b == '>' {
			s.state = sText
			if s.Depth == 0 {
				return EvOther
			}
		}
	}
	return EvNone
}

// Scan steps through p and calls fn with the offset and event of every
// byte whose event is not EvNone, stopping at the first error fn returns.
// It skips the long runs inside elements (text, quoted values) without
// stepping through them one by one.
func (s *Scanner) Scan(p []byte, fn func(i int, ev Event) error) error {
	for i := 0; i < len(p); i++ {
		// Skip to the next byte that can change anything. Inside an
		// element every run is skipped; at the top level only quoted
		// values, since start tags there are read for their names and
		// namespace declarations.
		var j int
		switch {
		case s.state == sQuote:
			j = bytes.IndexByte(p[i:], s.quote)
		case s.Depth == 0 && s.state == sTag && !s.inAttrName:
			// A top-level start tag: the run up to the next quote, '>' or
			// '/' holds whole attribute names, read here at once.
			j = bytes.IndexAny(p[i:], tagSpecial)
			if j > 0 {
				s.slash = false
				s.attrNames(p[i : i+j])
			} else if j < 0 {
				j = 0 // the run goes on in the next write: byte by byte
			}
		case s.Depth == 0:
			j = 0
		case s.state == sText:
			j = bytes.IndexByte(p[i:], '<')
		case s.state == sTag:
			j = bytes.IndexAny(p[i:], tagSpecial)
			if j != 0 {
				// Every byte skipped is one after which a '/' no
				// longer ends the tag.
				s.slash = false
			}
		case s.state == sName:
			j = bytes.IndexAny(p[i:], nameEnd)
		case s.state == sEnd:
			j = bytes.IndexByte(p[i:], '>')
		}
		if j < 0 {
			return nil
		}
		i += j
		if ev := s.Step(p[i]); ev != EvNone {
			if err := fn(i, ev); err != nil {
				return err
			}
		}
	}
	return nil
}

// Bytes that matter in a start tag, and those that end a name.
const (
	tagSpecial = "\"'>/"
	nameEnd    = " \t\r\n/>"
)

// attrNames notes the namespace declarations among the attribute names in
// run, a part of a top-level start tag outside quoted values.
func (s *Scanner) attrNames(run []byte) {
	for len(run) > 0 {
		k := 0
		for k < len(run) && (isSpace(run[k]) || run[k] == '=') {
			k++
		}
		run = run[k:]
		k = 0
		for k < len(run) && !isSpace(run[k]) && run[k] != '=' {
			k++
		}
		switch string(run[:k]) {
		case "xmlns":
			s.HasXMLNS = true
		case "xmlns:stream":
			s.HasStreamNS = true
		}
		run = run[k:]
	}
}

// tag handles a byte inside a start tag, after its name.
func (s *Scanner) tag(b byte) Event {
	switch {
	case b == '"' || b == '\'':
		s.state, s.quote, s.slash = sQuote, b, false
		s.endAttrName()
	case b == '>':
		s.state = sText
		s.endAttrName()
		if s.slash {
			if s.Depth == 0 {
				return EvElement
			}
			return EvNone
		}
		s.Depth++
		if s.Depth == 1 {
			return EvStartOpen
		}
	case b == '/':
		s.slash = true
		s.endAttrName()
	case isSpace(b) || b == '=':
		s.slash = false
		s.endAttrName()
	default:
		s.slash = false
		if s.Depth == 0 {
			if !s.inAttrName {
				s.inAttrName, s.attrLen = true, 0
			}
			if s.attrLen < len(s.attr) {
				s.attr[s.attrLen] = b
			}
			s.attrLen++
		}
	}
	return EvNone
}

func (s *Scanner) endAttrName() {
	if !s.inAttrName {
		return
	}
	s.inAttrName = false
	switch string(s.attr[:min(s.attrLen, len(s.attr))]) {
	case "xmlns":
		s.HasXMLNS = s.attrLen == len("xmlns")
	case "xmlns:stream":
		s.HasStreamNS = s.attrLen == len("xmlns:stream")
	}
}
