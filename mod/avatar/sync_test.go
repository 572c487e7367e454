package avatar

import (
	"testing"

	"github.com/muctest/muctest/pubsub"
	"github.com/muctest/muctest/xmlnode"
)

func TestVCardToPEP(t *testing.T) {
	const me = "romeo@localhost/r"
	svc := pubsub.NewService(pubsub.ServiceConfig{
		JID: "romeo@localhost", Defaults: pubsub.PEPDefaults(), AutocreateOnPublish: true,
		AccessModels: []string{pubsub.AccessOpen, pubsub.AccessPresence, pubsub.AccessWhitelist},
		Interested:   func(string) []string { return []string{"juliet@localhost/j"} },
		Affiliation: func(b, _, _ string) pubsub.Affiliation {
			if b == "romeo@localhost" {
				return pubsub.Owner
			}
			return ""
		},
	})
	if h := CurrentHash(svc); h != "" {
		t.Fatalf("hash before any avatar: %q", h)
	}
	out, err := SaveVCard(svc, me, xmlnode.MustParse(`<vCard xmlns="vcard-temp"><PHOTO><TYPE>image/png</TYPE><BINVAL>aGVsbG8=</BINVAL></PHOTO></vCard>`))
	if err != nil || len(out) != 2 {
		t.Fatalf("data and metadata notified to the interested contact: %v %v", out, err)
	}
	if c, _ := svc.Config(NSMetadata); c.AccessModel != pubsub.AccessOpen {
		t.Errorf("avatar node not open: %+v", c)
	}
	if h := CurrentHash(svc); h != "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d" {
		t.Errorf("hash %q", h)
	}
	// A stranger sees the photo (open nodes).
	ph := VCardPhotos(svc, "eve@localhost/e")
	if len(ph) != 1 || ph[0].String() != `<PHOTO xmlns="vcard-temp"><TYPE>image/png</TYPE><BINVAL>aGVsbG8=</BINVAL></PHOTO>` {
		t.Errorf("photos %v", ph)
	}
	// A vCard without PHOTO leaves the avatar alone.
	if out, _ := SaveVCard(svc, me, xmlnode.MustParse(`<vCard xmlns="vcard-temp"><FN>R</FN></vCard>`)); len(out) != 0 || CurrentHash(svc) == "" {
		t.Error("a vCard without PHOTO touched the avatar")
	}
	// A new photo replaces the old one (purge, then publish).
	if _, err := SaveVCard(svc, me, xmlnode.MustParse(`<vCard xmlns="vcard-temp"><PHOTO><BINVAL>d29ybGQ=</BINVAL></PHOTO></vCard>`)); err != nil {
		t.Fatal(err)
	}
	if ph := VCardPhotos(svc, me); len(ph) != 1 || ph[0].String() != `<PHOTO xmlns="vcard-temp"><BINVAL>d29ybGQ=</BINVAL></PHOTO>` {
		t.Errorf("replaced photos %v", ph)
	}
}
