package avatar

import (
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

func TestConversion(t *testing.T) {
	// "hello" in base64, split across lines as vCards often are.
	v := xmlnode.MustParse(`<vCard xmlns="vcard-temp"><FN>R</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>aGVs
bG8=</BINVAL></PHOTO><PHOTO><EXTVAL>https://x/a.png</EXTVAL></PHOTO><PHOTO><BINVAL>!!!</BINVAL></PHOTO></vCard>`)
	avs := FromVCard(v)
	if len(avs) != 1 {
		t.Fatalf("avatars: %+v", avs)
	}
	a := avs[0]
	if a.ID != "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d" || a.Bytes != 5 || a.Type != "image/png" || a.Base64 != "aGVsbG8=" {
		t.Fatalf("avatar: %+v", a)
	}
	if got := a.MetadataItem().String(); got != `<item xmlns="http://jabber.org/protocol/pubsub" id="aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d">`+
		`<metadata xmlns="urn:xmpp:avatar:metadata"><info bytes="5" id="aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d" type="image/png"/></metadata></item>` {
		t.Errorf("metadata: %s", got)
	}
	photos := Photos([]*xmlnode.Element{a.MetadataItem()}, []*xmlnode.Element{a.DataItem()})
	if len(photos) != 1 || photos[0].String() != `<PHOTO xmlns="vcard-temp"><TYPE>image/png</TYPE><BINVAL>aGVsbG8=</BINVAL></PHOTO>` {
		t.Errorf("photos: %v", photos)
	}
	if Hash(a.MetadataItem()) != a.ID || Hash(xmlnode.MustParse(`<item xmlns="http://jabber.org/protocol/pubsub"><metadata xmlns="urn:xmpp:avatar:metadata"/></item>`)) != "" {
		t.Error("hash")
	}
	if Update("").String() != `<x xmlns="vcard-temp:x:update"><photo/></x>` || Update("ab").String() != `<x xmlns="vcard-temp:x:update"><photo>ab</photo></x>` {
		t.Error("update")
	}
}
