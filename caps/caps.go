// Package caps reads XEP-0115 entity capabilities: the <c/> a client puts
// in its presence, the disco#info query that asks what a "ver" stands for,
// the verification string that proves an answer matches its ver (section
// 5), and the "+notify" features that tell a PEP service which nodes a
// client wants (XEP-0163 section 4).
package caps

import (
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/muctest/muctest/xmlnode"
)

// Namespaces.
const (
	NS          = "http://jabber.org/protocol/caps"
	NSDiscoInfo = "http://jabber.org/protocol/disco#info"
	nsData      = "jabber:x:data"
)

// Caps is the <c/> of a presence.
type Caps struct {
	Node string // the client's software, a URI
	Ver  string
	Hash string // "sha-1" for current caps; "" for legacy (pre-1.4) caps
	Ext  string // legacy caps only
}

// FromPresence returns the caps of an available presence, and false when
// it has none the way Prosody's mod_pep reads them: current caps need
// hash='sha-1', node and ver; legacy caps node and ver.
func FromPresence(p *xmlnode.Element) (Caps, bool) {
	c := p.Child(NS, "c")
	if c == nil {
		return Caps{}, false
	}
	cp := Caps{Node: c.Attrib("node"), Ver: c.Attrib("ver"), Hash: c.Attrib("hash"), Ext: c.Attrib("ext")}
	if cp.Node == "" || cp.Ver == "" {
		return Caps{}, false
	}
	if cp.Hash != "" && cp.Hash != "sha-1" {
		return Caps{}, false
	}
	return cp, true
}

// QueryNode is the disco#info node that asks what Ver stands for:
// node#ver.
func (c Caps) QueryNode() string { return c.Node + "#" + c.Ver }

// Key identifies what a cache of answers is keyed by: the ver of current
// caps (a hash, the same for every client that has the same features),
// node#ver#ext for legacy caps, whose ver is only a version number.
func (c Caps) Key() string {
	if c.Hash == "" {
		return c.Node + "#" + c.Ver + "#" + c.Ext
	}
	return c.Ver
}

// Query returns the disco#info query for c from one address to another,
// with the given id.
func (c Caps) Query(from, to, id string) *xmlnode.Element {
	iq := xmlnode.New("jabber:client", "iq", "from", from, "to", to, "id", id, "type", "get")
	iq.AddChild(NSDiscoInfo, "query", "node", c.QueryNode())
	return iq
}

// Ver computes the XEP-0115 (section 5.1) sha-1 verification string of a
// disco#info <query/>: identities, features and extended forms, sorted,
// hashed and base64-encoded. An answer whose Ver equals the ver it was
// asked for may be cached for every client announcing that ver.
func Ver(query *xmlnode.Element) string {
	var ids, feats []string
	type form struct {
		typ    string
		fields [][]string // var, sorted values
	}
	var forms []form
	for _, c := range query.Elements() {
		switch {
		case c.Name.Local == "identity" && c.Name.Space == NSDiscoInfo:
			lang, _ := c.LookupAttr(xmlnode.XMLNamespace, "lang")
			ids = append(ids, c.Attrib("category")+"/"+c.Attrib("type")+"/"+lang+"/"+c.Attrib("name"))
		case c.Name.Local == "feature" && c.Name.Space == NSDiscoInfo:
			feats = append(feats, c.Attrib("var"))
		case c.Name.Local == "x" && c.Name.Space == nsData:
			var f form
			for _, fe := range c.ChildrenNamed(nsData, "field") {
				var vals []string
				for _, v := range fe.ChildrenNamed(nsData, "value") {
					vals = append(vals, v.Text())
				}
				if fe.Attrib("var") == "FORM_TYPE" {
					if len(vals) > 0 {
						f.typ = vals[0]
					}
					continue
				}
				slices.Sort(vals)
				f.fields = append(f.fields, append([]string{fe.Attrib("var")}, vals...))
			}
			if f.typ != "" { // forms without FORM_TYPE are ignored (5.4)
				slices.SortFunc(f.fields, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
				forms = append(forms, f)
			}
		}
	}
	slices.Sort(ids)
	slices.Sort(feats)
	slices.SortFunc(forms, func(a, b form) int { return strings.Compare(a.typ, b.typ) })
	var b strings.Builder
	for _, s := range ids {
		b.WriteString(s)
		b.WriteByte('<')
	}
	for _, s := range feats {
		b.WriteString(s)
		b.WriteByte('<')
	}
	for _, f := range forms {
		b.WriteString(f.typ)
		b.WriteByte('<')
		for _, fl := range f.fields {
			for _, s := range fl {
				b.WriteString(s)
				b.WriteByte('<')
			}
		}
	}
	sum := sha1.Sum([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Notify returns the PEP nodes a disco#info answer asks notifications of:
// each feature "NODE+notify" names NODE (XEP-0163 section 4).
func Notify(query *xmlnode.Element) []string {
	var out []string
	for _, f := range query.ChildrenNamed(NSDiscoInfo, "feature") {
		if n, ok := strings.CutSuffix(f.Attrib("var"), "+notify"); ok && n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
