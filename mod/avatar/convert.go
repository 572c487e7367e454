// Package avatar is XEP-0084 user avatars on PEP with the XEP-0153
// vCard-based avatar conversion Prosody's mod_vcard_legacy does: a PHOTO
// set in vcard-temp is published as avatar data and metadata (item id the
// SHA-1 of the image), a vcard-temp get shows the PEP avatar as PHOTO, and
// every available presence carries the current avatar's hash in its
// vcard-temp:x:update <photo/>.
package avatar

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces.
const (
	NSData     = "urn:xmpp:avatar:data"
	NSMetadata = "urn:xmpp:avatar:metadata"
	NSVCard    = "vcard-temp"
	NSUpdate   = "vcard-temp:x:update"
)

// MaxBytes bounds an avatar image (decoded): what a vCard PHOTO may make
// the server publish. XEP-0084 recommends avatars well below this.
const MaxBytes = 1 << 20

// Avatar is one image: its SHA-1 (hex, the XEP-0084 id), MIME type, size
// and base64 data.
type Avatar struct {
	ID, Type string
	Bytes    int
	Base64   string
}

// FromVCard returns the avatars of a vCard's PHOTO elements that carry
// BINVAL (an EXTVAL has no data whose hash could be its id). A BINVAL that
// is not base64 or is larger than MaxBytes is skipped.
func FromVCard(vcard *xmlnode.Element) []Avatar {
	var out []Avatar
	for _, p := range vcard.ChildrenNamed(NSVCard, "PHOTO") {
		b64 := strings.Join(strings.Fields(p.ChildText(NSVCard, "BINVAL")), "")
		if b64 == "" || base64.StdEncoding.DecodedLen(len(b64)) > MaxBytes+3 {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) > MaxBytes {
			continue
		}
		sum := sha1.Sum(raw)
		out = append(out, Avatar{ID: hex.EncodeToString(sum[:]), Type: strings.TrimSpace(p.ChildText(NSVCard, "TYPE")),
			Bytes: len(raw), Base64: b64})
	}
	return out
}

// DataItem is the urn:xmpp:avatar:data item of a.
func (a Avatar) DataItem() *xmlnode.Element {
	it := xmlnode.New(pubsub.NS, "item", "id", a.ID)
	it.AddChild(NSData, "data").SetText(a.Base64)
	return it
}

// MetadataItem is the urn:xmpp:avatar:metadata item of a.
func (a Avatar) MetadataItem() *xmlnode.Element {
	it := xmlnode.New(pubsub.NS, "item", "id", a.ID)
	info := it.AddChild(NSMetadata, "metadata").AddChild(NSMetadata, "info", "bytes", strconv.Itoa(a.Bytes), "id", a.ID)
	if a.Type != "" {
		info.SetAttr("type", a.Type)
	}
	return it
}

// Photos renders PEP avatars as vCard PHOTO elements, one per data item
// (newest last), with the type from the metadata item of the same id, or
// the metadata's url as EXTVAL when there is no data.
func Photos(metadata, data []*xmlnode.Element) []*xmlnode.Element {
	meta := make(map[string]*xmlnode.Element, len(metadata))
	for _, m := range metadata {
		if md := m.Child(NSMetadata, "metadata"); md != nil {
			meta[m.Attrib("id")] = md.Child(NSMetadata, "info")
		}
	}
	var out []*xmlnode.Element
	for _, d := range data {
		p := xmlnode.New(NSVCard, "PHOTO")
		info := meta[d.Attrib("id")]
		if info != nil && info.Attrib("type") != "" {
			p.AddChild(NSVCard, "TYPE").SetText(info.Attrib("type"))
		}
		if dd := d.Child(NSData, "data"); dd != nil {
			p.AddChild(NSVCard, "BINVAL").SetText(dd.Text())
		} else if info != nil && info.Attrib("url") != "" {
			p.AddChild(NSVCard, "EXTVAL").SetText(info.Attrib("url"))
		}
		out = append(out, p)
	}
	return out
}

// Hash returns the id of the current avatar in a metadata item (its first
// <info/>), "" when the metadata is empty: XEP-0084's way to disable the
// avatar.
func Hash(metadataItem *xmlnode.Element) string {
	if metadataItem == nil {
		return ""
	}
	md := metadataItem.Child(NSMetadata, "metadata")
	if md == nil {
		return ""
	}
	if info := md.Child(NSMetadata, "info"); info != nil {
		return info.Attrib("id")
	}
	return ""
}

// Update returns the XEP-0153 presence marker for hash ("" for no avatar:
// an empty <photo/>, which says the client has none).
func Update(hash string) *xmlnode.Element {
	x := xmlnode.New(NSUpdate, "x")
	p := x.AddChild(NSUpdate, "photo")
	if hash != "" {
		p.SetText(hash)
	}
	return x
}
