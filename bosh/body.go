package bosh

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Namespaces of XEP-0124 and XEP-0206.
const (
	NSHTTPBind = "http://jabber.org/protocol/httpbind"
	NSXBOSH    = "urn:xmpp:xbosh"
	nsXML      = "http://www.w3.org/XML/1998/namespace"
)

// ErrBody reports a request body that is not one XEP-0124 <body/> element:
// not XML, another root element, text beside the payload, or attributes
// with bad values. The request is answered with HTTP 400 and the
// bad-request binding condition.
var ErrBody = errors.New("bosh: not a valid <body/> element")

// Body is a parsed request <body/>: the attributes the connection manager
// uses and the payload elements, each as the raw bytes the client sent.
type Body struct {
	RID     int64 // 0 when absent
	SID     string
	To      string
	Lang    string // xml:lang
	Ver     string
	Type    string // "" or "terminate"
	Wait    int    // seconds; -1 when absent
	Hold    int    // -1 when absent
	Restart bool   // xmpp:restart="true" (XEP-0206 stream restart)
	// Payload are the top-level child elements, verbatim: the c2s session
	// parses them again, with its limits, inside its stream.
	Payload [][]byte
}

// ParseBody parses one request body. data must be the whole HTTP request
// body; its size is bounded by the caller.
func ParseBody(data []byte) (*Body, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	b := &Body{Wait: -1, Hold: -1}
	var root xml.StartElement
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBody, err)
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, fmt.Errorf("%w: processing instruction", ErrBody)
			}
			continue
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, fmt.Errorf("%w: text before <body/>", ErrBody)
			}
			continue
		case xml.StartElement:
			root = t
		default:
			return nil, fmt.Errorf("%w: %T before <body/>", ErrBody, tok)
		}
		break
	}
	if root.Name.Local != "body" || root.Name.Space != NSHTTPBind {
		return nil, fmt.Errorf("%w: root is {%s}%s", ErrBody, root.Name.Space, root.Name.Local)
	}
	if err := b.attrs(root.Attr); err != nil {
		return nil, err
	}
	// Past the root's start tag the tokens are raw (skipRaw says why): the
	// root's end tag is matched here, and nothing but space may follow it.
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBody, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := skipRaw(d, t); err != nil {
				return nil, err
			}
			b.Payload = append(b.Payload, data[off:d.InputOffset()])
			continue
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, fmt.Errorf("%w: text in <body/>", ErrBody)
			}
			continue
		case xml.EndElement:
			if t.Name.Local != "body" {
				return nil, fmt.Errorf("%w: <body> closed by </%s>", ErrBody, t.Name.Local)
			}
		default:
			return nil, fmt.Errorf("%w: %T in <body/>", ErrBody, tok)
		}
		break
	}
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBody, err)
		}
		if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) != 0 {
			return nil, fmt.Errorf("%w: content after </body>", ErrBody)
		}
	}
}

// maxPayloadDepth bounds how deep a payload element nests in a body. The
// c2s session refuses a stanza far shallower (c2s.Limits.MaxDepth) with its
// stream error once it reads it; this bound only stops a body nested a
// hundred thousand deep from costing the server a namespace scope and a
// stack entry per level (attack2's bosh-xml-tricks: 10 ms of CPU per
// request, mostly garbage collection) before that.
const maxPayloadDepth = 256

// skipRaw reads past the rest of a payload element whose start tag d has
// just returned, as Decoder.Skip does but with raw tokens: the payload's
// namespaces are c2s's to resolve when it parses it again, so none are
// translated here, and past maxPayloadDepth the body is refused. Start
// and end tags still have to match, as RawToken does not check it.
func skipRaw(d *xml.Decoder, start xml.StartElement) error {
	// The elements open, the payload's own first: its depth is len(open).
	open := []xml.Name{start.Name}
	for len(open) > 0 {
		tok, err := d.RawToken()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBody, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(open) == maxPayloadDepth {
				return fmt.Errorf("%w: payload nested deeper than %d", ErrBody, maxPayloadDepth)
			}
			open = append(open, t.Name)
		case xml.EndElement:
			if n := open[len(open)-1]; n != t.Name {
				return fmt.Errorf("%w: element <%s> closed by </%s>", ErrBody, n.Local, t.Name.Local)
			}
			open = open[:len(open)-1]
		}
	}
	return nil
}

func (b *Body) attrs(attrs []xml.Attr) error {
	num := func(name, v string, max int64) (int64, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > max {
			return 0, fmt.Errorf("%w: bad %s %q", ErrBody, name, v)
		}
		return n, nil
	}
	for _, a := range attrs {
		var err error
		var n int64
		switch a.Name {
		case xml.Name{Local: "rid"}:
			// XEP-0124 section 14: at most 2^53-1, so that clients in
			// JavaScript can count on.
			b.RID, err = num("rid", a.Value, 1<<53-1)
		case xml.Name{Local: "sid"}:
			b.SID = a.Value
		case xml.Name{Local: "to"}:
			b.To = a.Value
		case xml.Name{Local: "ver"}:
			b.Ver = a.Value
		case xml.Name{Local: "type"}:
			b.Type = a.Value
		case xml.Name{Local: "wait"}:
			n, err = num("wait", a.Value, 1<<31)
			b.Wait = int(n)
		case xml.Name{Local: "hold"}:
			n, err = num("hold", a.Value, 1<<31)
			b.Hold = int(n)
		case xml.Name{Space: nsXML, Local: "lang"}:
			b.Lang = a.Value
		case xml.Name{Space: NSXBOSH, Local: "restart"}:
			b.Restart = a.Value == "true" || a.Value == "1"
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// terminate returns a terminating body with condition cond ("" for a
// plain end of session), and extra inside it.
func terminate(cond string, extra ...[]byte) []byte {
	var b strings.Builder
	b.WriteString(`<body xmlns="` + NSHTTPBind + `" type="terminate"`)
	if cond != "" {
		b.WriteString(` condition="` + cond + `"`)
	}
	if len(extra) == 0 {
		b.WriteString("/>")
		return []byte(b.String())
	}
	b.WriteString(` xmlns:stream="http://etherx.jabber.org/streams">`)
	for _, e := range extra {
		b.Write(e)
	}
	b.WriteString("</body>")
	return []byte(b.String())
}

// escapeAttr escapes v for a double-quoted attribute value.
func escapeAttr(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}
