package external

import (
	"bufio"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces of a component stream.
const (
	// NSAccept is the default namespace of a component stream (XEP-0114)
	// and of the stanzas on it.
	NSAccept  = "jabber:component:accept"
	nsClient  = "jabber:client"
	nsStream  = "http://etherx.jabber.org/streams"
	nsStreams = "urn:ietf:params:xml:ns:xmpp-streams"
)

// streamError is a stream error condition (RFC 6120 section 4.9.3) with a
// human-readable text, ending a component's stream.
type streamError struct {
	cond string
	text string
}

func (e *streamError) Error() string { return "external: " + e.cond + ": " + e.text }

func errorf(cond, format string, args ...any) *streamError {
	return &streamError{cond: cond, text: fmt.Sprintf(format, args...)}
}

// errTooBig and errText are what the reader returns for an element over
// the size limit and for text between elements.
var (
	errTooBig = errors.New("external: element larger than the stanza size limit")
	errText   = errors.New("external: text between elements")
)

// asStreamError maps a read error to the stream error that answers it, or
// nil for the end of the connection.
func asStreamError(err error) *streamError {
	var se *streamError
	var syn *xml.SyntaxError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return nil
	case errors.As(err, &se):
		return se
	case errors.Is(err, errTooBig), errors.Is(err, xmlnode.ErrDepth), errors.Is(err, xmlnode.ErrAttrs):
		return errorf("policy-violation", "%v", err)
	case errors.As(err, &syn), errors.Is(err, errText), errors.Is(err, xmlnode.ErrRestricted),
		errors.Is(err, xmlnode.ErrName), errors.Is(err, xmlnode.ErrUndeclaredPrefix):
		return errorf("not-well-formed", "%v", err)
	}
	return nil
}

// limitReader counts the bytes read since reset and fails past max, so
// that one element cannot make the server buffer without bound. It is an
// io.ByteReader, so encoding/xml reads through it byte by byte and never
// holds bytes of its own.
type limitReader struct {
	r   *bufio.Reader
	n   int64
	max int64
}

func (l *limitReader) ReadByte() (byte, error) {
	if l.n >= l.max {
		return 0, errTooBig
	}
	b, err := l.r.ReadByte()
	if err == nil {
		l.n++
	}
	return b, err
}

func (l *limitReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := l.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// reader reads a component stream: its header, then one top-level element
// at a time.
type reader struct {
	lr  *limitReader
	d   *xml.Decoder
	lim xmlnode.Limits
}

func newReader(r io.Reader, maxBytes int64, lim xmlnode.Limits) *reader {
	lr := &limitReader{r: bufio.NewReaderSize(r, 4096), max: maxBytes}
	return &reader{lr: lr, d: xml.NewDecoder(lr), lim: lim}
}

// header reads up to the stream header and checks it: the stream
// namespace, jabber:component:accept as the default namespace, and a "to".
// It returns the "to".
func (r *reader) header() (string, error) {
	r.lr.n = 0
	for {
		tok, err := r.d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" {
				return "", errorf("restricted-xml", "processing instruction %q", t.Target)
			}
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return "", errText
			}
		case xml.StartElement:
			if t.Name.Space != nsStream || t.Name.Local != "stream" {
				return "", errorf("invalid-namespace", "the stream must open with <stream:stream xmlns:stream='%s'>", nsStream)
			}
			def := ""
			to := ""
			// Stanzas may use the prefixes the header declares
			// (RFC 6120 section 4.9.3.2 otherwise).
			r.lim.Declared = []string{}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					r.lim.Declared = append(r.lim.Declared, a.Value)
				}
				switch {
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					def = a.Value
				case a.Name.Space == "" && a.Name.Local == "to":
					to = a.Value
				}
			}
			if def != NSAccept {
				return "", errorf("invalid-namespace", "a component stream's default namespace is %s, not %q", NSAccept, def)
			}
			if to == "" {
				return "", errorf("host-unknown", "the stream header has no 'to': name the component's domain")
			}
			return to, nil
		default:
			return "", errorf("restricted-xml", "%T before the stream header", tok)
		}
	}
}

// next returns the next top-level element, or ErrEnd-wrapped io.EOF at
// </stream:stream>.
func (r *reader) next() (*xmlnode.Element, error) {
	r.lr.n = 0
	for {
		tok, err := r.d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, errText
			}
			// A whitespace keepalive: it does not count toward the
			// next element.
			r.lr.n = 0
		case xml.StartElement:
			return xmlnode.Read(r.d, t, r.lim)
		case xml.EndElement:
			return nil, io.EOF
		default:
			return nil, errorf("restricted-xml", "%T on the stream", tok)
		}
	}
}

// Digest is the handshake value of XEP-0114 section 3: the lower-case hex
// SHA-1 of the stream id the server sent followed by the shared secret.
func Digest(streamID, secret string) string {
	sum := sha1.Sum([]byte(streamID + secret))
	return hex.EncodeToString(sum[:])
}

// checkHandshake checks the component's first element: a <handshake/>
// whose text is Digest(streamID, secret), compared in constant time (hex
// case is not significant).
func checkHandshake(el *xmlnode.Element, streamID, secret string) error {
	if el.Name.Space != NSAccept || el.Name.Local != "handshake" {
		return errorf("not-authorized", "expected <handshake/>, got <%s xmlns='%s'>", el.Name.Local, el.Name.Space)
	}
	got := strings.ToLower(strings.TrimSpace(el.Text()))
	want := Digest(streamID, secret)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errorf("not-authorized", "wrong handshake: the secret does not match")
	}
	return nil
}

// negotiate runs the server side of the XEP-0114 opening on r and w: it
// reads the header, answers with its own (streamID, from the domain),
// reads and checks the handshake and answers <handshake/>. secret looks up
// the shared secret of a domain. It returns the component's domain.
func negotiate(r *reader, w io.Writer, streamID string, secret func(domain string) (string, bool)) (string, error) {
	to, err := r.header()
	if err != nil {
		return "", err
	}
	domain := strings.ToLower(to)
	sec, ok := secret(domain)
	if !ok {
		return "", errorf("host-unknown", "no component is configured for %q", to)
	}
	hdr := "<?xml version='1.0'?><stream:stream xmlns='" + NSAccept + "' xmlns:stream='" + nsStream +
		"' id='" + streamID + "' from='" + escape(domain) + "'>"
	if _, err := io.WriteString(w, hdr); err != nil {
		return "", err
	}
	el, err := r.next()
	if err != nil {
		return "", err
	}
	if err := checkHandshake(el, streamID, sec); err != nil {
		return "", err
	}
	return domain, nil
}

func escape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// errorBytes is a stream error and the end of the stream; withHeader adds
// the header first, for errors before the server has sent its own.
func errorBytes(e *streamError, withHeader bool) []byte {
	var b strings.Builder
	if withHeader {
		b.WriteString("<?xml version='1.0'?><stream:stream xmlns='" + NSAccept + "' xmlns:stream='" + nsStream + "'>")
	}
	b.WriteString("<stream:error><" + e.cond + " xmlns='" + nsStreams + "'/>")
	if e.text != "" {
		b.WriteString("<text xmlns='" + nsStreams + "'>" + escape(e.text) + "</text>")
	}
	b.WriteString("</stream:error></stream:stream>")
	return []byte(b.String())
}
