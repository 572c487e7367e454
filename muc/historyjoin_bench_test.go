package muc

import (
	"strconv"
	"strings"
	"testing"
)

// benchHistoryMessages are groupchat messages of the shapes the history is
// measured with (xmlnode's treeShapes): an everyday one (a body, an
// origin-id), 4 KB of text, and a body with 1,000 tiny elements.
var benchHistoryMessages = []struct{ name, inner string }{
	{"groupchat", `<body>Has anyone tried the new release yet? It fixed the reconnect bug for me.</body><origin-id xmlns='urn:xmpp:sid:0' id='b9f1c0de-4a2f-4c55-9e0b-6a7d8c9e0f12'/>`},
	{"text", `<body>` + strings.Repeat("hello world ", 340) + `</body>`},
	{"tiny-elements", `<body>x</body>` + strings.Repeat("<a/>", 1000)},
}

// BenchmarkJoinFullHistory is a join to a room of 10 whose history holds
// 20 messages (the default a joining user is sent, all of it) and the
// leave after it, every stanza serialised as c2s does, through both kinds
// of router (benchRouters): the CPU a join with history costs the
// server. Compare two builds interleaved: go test -run ^$ -bench
// JoinFullHistory -count 6 ./muc.
func BenchmarkJoinFullHistory(b *testing.B) {
	for _, m := range benchHistoryMessages {
		for _, r := range benchRouters() {
			b.Run(m.name+"/"+r.name, func(b *testing.B) {
				svc := New(Config{Domain: service, Router: r.router})
				fillBenchRoom(b, svc, 10)
				for i := range 20 {
					svc.HandleStanza(parse(b, `<message from='u1@localhost/r' type='groupchat' id='h`+strconv.Itoa(i)+
						`' to='bench@conference.localhost'>`+m.inner+`</message>`))
				}
				join := parse(b, `<presence from='x@localhost/r' to='bench@conference.localhost/X'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
				leave := parse(b, `<presence from='x@localhost/r' type='unavailable' to='bench@conference.localhost/X'/>`)
				b.ReportAllocs()
				for b.Loop() {
					svc.HandleStanza(join.Copy())
					svc.HandleStanza(leave.Copy())
				}
			})
		}
	}
}
