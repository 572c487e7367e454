package extdisco

import (
	"testing"
	"time"

	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/xmlnode"
)

// prosodyConfig is shared/corpus/prosody-trunk's external_services table.
func prosodyConfig() *Config {
	return &Config{
		Host: "default.example", Port: 9876, Secret: "<secret>",
		Now: func() time.Time { return time.Unix(1700000000, 0) },
		Services: []Service{
			{Type: "stun", Transport: "udp"},
			{Type: "turn", Transport: "udp", UseDefaultSecret: true},
			{Type: "turn", Transport: "udp", Secret: "foo"},
			{Type: "ftp", Transport: "tcp", Port: 2121, Username: "john", Password: "password"},
			{Type: "ftp", Transport: "tcp", Host: "ftp.example.com", Port: 21, Username: "john", Password: "password"},
		},
	}
}

func TestAnswer(t *testing.T) {
	const (
		stun  = `<service xmlns="urn:xmpp:extdisco:2" host="default.example" transport="udp" port="9876" type="stun"/>`
		turn1 = `<service xmlns="urn:xmpp:extdisco:2" port="9876" type="turn" restricted="1" transport="udp" host="default.example" username="1700086400" password="0pXrirtjd04cLY1KgR4rMvA6ntU="/>`
		turn2 = `<service xmlns="urn:xmpp:extdisco:2" port="9876" type="turn" restricted="1" transport="udp" host="default.example" username="1700086400" password="/qpd5jBSucUKqBJgh39q2FkpqzQ="/>`
		ftp1  = `<service xmlns="urn:xmpp:extdisco:2" port="2121" type="ftp" restricted="1" password="password" transport="tcp" host="default.example" username="john"/>`
		ftp2  = `<service xmlns="urn:xmpp:extdisco:2" port="21" type="ftp" restricted="1" password="password" transport="tcp" host="ftp.example.com" username="john"/>`
	)
	tests := []struct {
		name, query, want, cond string
	}{
		{"all services", `<services xmlns="urn:xmpp:extdisco:2"/>`,
			`<services xmlns="urn:xmpp:extdisco:2">` + stun + turn1 + turn2 + ftp1 + ftp2 + `</services>`, ""},
		{"by type", `<services xmlns="urn:xmpp:extdisco:2" type="ftp"/>`,
			`<services xmlns="urn:xmpp:extdisco:2">` + ftp1 + ftp2 + `</services>`, ""},
		{"unknown type", `<services xmlns="urn:xmpp:extdisco:2" type="gopher"/>`, `<services xmlns="urn:xmpp:extdisco:2"/>`, ""},
		{"credentials", `<credentials xmlns="urn:xmpp:extdisco:2"><service host="default.example" type="turn"/></credentials>`,
			`<credentials xmlns="urn:xmpp:extdisco:2">` + turn1 + turn2 + `</credentials>`, ""},
		{"credentials by port", `<credentials xmlns="urn:xmpp:extdisco:2"><service host="ftp.example.com" type="ftp" port="21"/></credentials>`,
			`<credentials xmlns="urn:xmpp:extdisco:2">` + ftp2 + `</credentials>`, ""},
		{"credentials without type", `<credentials xmlns="urn:xmpp:extdisco:2"><service host="default.example"/></credentials>`, "", "bad-request"},
		{"credentials without service", `<credentials xmlns="urn:xmpp:extdisco:2"/>`, "", "bad-request"},
		{"other element", `<service xmlns="urn:xmpp:extdisco:2"/>`, "", "feature-not-implemented"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := prosodyConfig().Answer(xmlnode.MustParse(tt.query))
			if tt.cond != "" {
				if e, ok := err.(*Error); !ok || e.Condition != tt.cond {
					t.Fatalf("got %v, %v; want %s", got, err, tt.cond)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := match.Match(xmlnode.MustParse(tt.want), got); d != nil {
				t.Fatalf("got %s\nwant %s\n%v", got, tt.want, d)
			}
		})
	}
}
