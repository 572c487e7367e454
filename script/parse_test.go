package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
)

func TestParseCorpus(t *testing.T) {
	files := corpus.Scripts(t, "corpus/prosody", "*.scs")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if s.Title == "" || len(s.Clients) == 0 || len(s.Steps) == 0 {
				t.Errorf("title %q, %d clients, %d steps", s.Title, len(s.Clients), len(s.Steps))
			}
			for _, st := range s.Steps {
				if (st.Action == Send || st.Action == Receive) && st.XML == "" {
					t.Errorf("line %d: %s without XML", st.Line, st)
				}
			}
		})
	}
}

func TestParseSpec(t *testing.T) {
	files, _ := filepath.Glob("../spec/*.scs")
	if len(files) == 0 {
		t.Fatal("no scripts in ../spec: nothing parsed")
	}
	for _, f := range files {
		if _, err := ParseFile(f); err != nil {
			t.Error(err)
		}
	}
}

func TestParse(t *testing.T) {
	s, err := Parse("x.scs", strings.NewReader(`# Title here
// a comment
-- another

[Client] Romeo
	jid: romeo@localhost
	password: secret
	custom: value

[Client] Juliet's phone
	jid: juliet@localhost/mobile
	password: pw

-----

# before the step
Romeo connects
Juliet's phone connects

Romeo sends
	<presence/>

	<message to="${Juliet's phone's full JID}"><body>${Romeo's JID}</body></message>
Juliet's phone receives: nothing
Romeo receives:
	<!-- the server echoes
	     initial presence -->
	<presence from="${Romeo's full JID}"/>
Romeo disconnects
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "Title here" {
		t.Errorf("title %q", s.Title)
	}
	r, j := s.Clients[0], s.Clients[1]
	if r.JID != "romeo@localhost" || r.Password != "secret" || r.Extra["custom"] != "value" || r.Resource != "" {
		t.Errorf("Romeo = %+v", r)
	}
	if j.Name != "Juliet's phone" || j.JID != "juliet@localhost" || j.Resource != "mobile" {
		t.Errorf("Juliet's phone = %+v", j)
	}
	want := []struct {
		line   int
		client string
		action Action
	}{
		{17, "Romeo", Connect}, {18, "Juliet's phone", Connect}, {20, "Romeo", Send}, {24, "Juliet's phone", ReceiveNothing},
		{25, "Romeo", Receive}, {29, "Romeo", Disconnect},
	}
	if len(s.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(s.Steps), len(want))
	}
	for i, w := range want {
		st := s.Steps[i]
		if st.Line != w.line || st.Client != w.client || st.Action != w.action {
			t.Errorf("step %d = line %d %q %v, want %+v", i, st.Line, st.Client, st.Action, w)
		}
	}
	if els, err := parseStanzas(s.Steps[4].XML); err != nil || len(els) != 1 {
		t.Errorf("receive block with an XML comment: %v, %v", els, err)
	}
	if c := s.Steps[0].Comment; len(c) != 1 || c[0] != "# before the step" {
		t.Errorf("comment %q", c)
	}
	if x := s.Steps[2].XML; !strings.Contains(x, "<presence/>") || !strings.Contains(x, "<message") {
		t.Errorf("send block %q: want both stanzas (blank line inside)", x)
	}
	out, err := s.substitute(s.Steps[2].XML, func(c *Client, full bool) string {
		if full {
			return c.JID + "/R&D"
		}
		return c.JID
	})
	if err != nil || !strings.Contains(out, `to="juliet@localhost/R&amp;D"`) || !strings.Contains(out, "<body>romeo@localhost</body>") {
		t.Errorf("substitute = %q, %v", out, err)
	}
}

func TestParseErrors(t *testing.T) {
	const hdr = "# t\n[Client] Romeo\n\tjid: romeo@localhost\n-----\n"
	tests := []struct {
		name, text string
		line       int
		msg        string
	}{
		{"no separator", "# t\n[Client] Romeo\n\tjid: r@l\n", 3, "no line of dashes"},
		{"no clients", "# t\n-----\n", 2, "no [Client]"},
		{"client without jid", "# t\n[Client] Romeo\n\tpassword: x\n---\n", 2, "has no jid"},
		{"bad jid", "# t\n[Client] Romeo\n\tjid: romeo\n---\n", 2, "not a user@domain"},
		{"control character in jid", "# t\n[Client] Romeo\n\tjid: romeo@\x10\n---\n", 2, "character XML cannot carry"},
		{"invalid UTF-8 in jid", "# t\n[Client] Romeo\n\tjid: romeo@l/\xff\n---\n", 2, "character XML cannot carry"},
		{"control character in component jid", "# t\n[Component] C\n\tjid: a\x01b\n---\n", 2, "character XML cannot carry"},
		{"duplicate client", "# t\n[Client] A\n\tjid: a@b\n[Client] A\n\tjid: a@b\n---\n", 4, "declared twice"},
		{"bad header line", "# t\nhello\n---\n", 2, "unexpected line in the header"},
		{"header key without colon", "# t\n[Client] A\n\tjid a@b\n---\n", 3, "key: value"},
		{"unknown client", hdr + "Juliet connects\n", 5, `unknown client "Juliet"`},
		{"unknown verb", hdr + "Romeo dances\n", 5, "expected"},
		{"send without XML", hdr + "Romeo sends:\nRomeo connects\n", 5, "has no XML"},
		{"bad XML", hdr + "Romeo sends:\n\t<presence>\n\t<x>\n\t</presence>\n", 8, "bad XML"},
		{"text outside elements", hdr + "Romeo sends:\n\thello <presence/>\n", 6, "text outside"},
		{"unknown substitution", hdr + "Romeo sends:\n\t<presence to='${Romeo}'/>\n", 6, "unknown substitution"},
		{"substitution of unknown client", hdr + "Romeo sends:\n\t<presence to=\"${Tybalt's JID}\"/>\n", 6, `unknown client "Tybalt"`},
		{"stray indented line", hdr + "Romeo connects\n\t<presence/>\n", 6, "indented line outside"},
		{"connects with argument", hdr + "Romeo connects: now\n", 5, "takes no argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("e.scs", strings.NewReader(tt.text))
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg, tt.msg) || pe.Path != "e.scs" {
				t.Errorf("err = %v, want line %d and %q", err, tt.line, tt.msg)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	var files []string
	if dir, err := corpus.Find("corpus/prosody"); err == nil {
		files, _ = filepath.Glob(filepath.Join(dir, "*.scs"))
	}
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("# t\n[Client] R\n\tjid: r@l/x\n---\nR connects\nR sends:\n\t<presence to='${R's full JID}'/>\nR receives: nothing\n")
	f.Add("\uFEFF# t\n## a b\n[Component] C\n\tjid: c.l\n\tcustom_port: 5\n---\nC connects\nC receives in any order:\n\t<a/>\n# c\n\n\t<b/>\nC's connection drops\nC receives stream error: <conflict/>\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := Parse("fuzz.scs", strings.NewReader(text))
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			return
		}
		// Every send/receive block of a parsed script substitutes and
		// parses again, as the runner will do.
		for _, st := range s.Steps {
			if st.Action != Send && st.Action != Receive && st.Action != ReceiveAnyOrder {
				continue
			}
			x, err := s.substitute(st.XML, func(c *Client, full bool) string { return c.JID + "/r" })
			if err != nil {
				t.Fatalf("line %d: substitute: %v", st.Line, err)
			}
			if els, err := parseStanzas(x); err != nil || len(els) == 0 {
				t.Fatalf("line %d: block %q no longer parses: %v", st.Line, x, err)
			}
			// The compiled block expands to as many stanzas.
			els, err := st.expand(func(r ref) (string, error) { return r.client.JID + "/r", nil })
			if err != nil || len(els) != len(st.stanzas) {
				t.Fatalf("line %d: expand = %d stanzas, %v", st.Line, len(els), err)
			}
			_ = st.String()
		}
	})
}
