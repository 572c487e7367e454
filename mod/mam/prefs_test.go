package mam_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/mam"
	"github.com/muctest/muctest/moduletest"
)

// TestPrefsListsCountAgainstTheAccount: the JID lists of <prefs/> are the
// owner's to fill (1,000 JIDs of up to 3 KB in each) and count against the
// account's budget, though the archive beside them does not (attack
// mam-prefs-flood: 1,000 accounts each setting 234 KB of lists left 62 MB
// of heap no bound counted). Past the budget the set is refused
// resource-constraint and the lists stay as they were.
func TestPrefsListsCountAgainstTheAccount(t *testing.T) {
	s := moduletest.New(t, mam.Module{AccountBytes: 2000})
	romeo := online(s, "romeo@localhost/garden")
	small := `<prefs xmlns="urn:xmpp:mam:2" default="always"><always><jid>juliet@localhost</jid></always><never><jid>nurse@localhost</jid></never></prefs>`
	romeo.Send(`<iq type="set" id="s">` + small + `</iq>`)
	romeo.Expect(`<iq type="result" id="s">` + small + `</iq>`)

	var big strings.Builder
	big.WriteString(`<iq type="set" id="b"><prefs xmlns="urn:xmpp:mam:2" default="never"><always>`)
	for i := range 100 {
		big.WriteString("<jid>" + strings.Repeat("x", 50) + strconv.Itoa(i) + "@localhost</jid>")
	}
	big.WriteString(`</always><never/></prefs></iq>`)
	romeo.Send(big.String())
	got := romeo.Received()
	if len(got) != 1 || got[0].Attrib("type") != "error" || got[0].Child("jabber:client", "error").Child("urn:ietf:params:xml:ns:xmpp-stanzas", "resource-constraint") == nil {
		t.Fatalf("over-budget prefs answered %v", got)
	}
	romeo.Send(`<iq type="get" id="g"><prefs xmlns="urn:xmpp:mam:2"/></iq>`)
	romeo.Expect(`<iq type="result" id="g">` + small + `</iq>`)

	// Emptying the lists frees their slot.
	romeo.Send(`<iq type="set" id="e"><prefs xmlns="urn:xmpp:mam:2" default="always"><always/><never/></prefs></iq>`)
	romeo.Expect(`<iq type="result" id="e"><prefs xmlns="urn:xmpp:mam:2" default="always"><always/><never/></prefs></iq>`)
}
