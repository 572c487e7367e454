package pubsub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/muctest/muctest/internal/corpus"
	"github.com/muctest/muctest/match"
	"github.com/muctest/muctest/xmlnode"
)

// readTrunk returns a Prosody trunk script's text, from the corpus shared
// next to the repository (package internal/corpus: skipped locally when
// absent, a failure under CI=true).
func readTrunk(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpus.Dir(t, "corpus/prosody-trunk"), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConfigFormMatchesTrunk renders the node configuration form and
// compares it, with the scansion rules the runner uses (strict in order,
// labels and values), with the forms Prosody trunk's scripts expect: the
// PEP defaults in pubsub_config, the pubsub service's in the others.
func TestConfigFormMatchesTrunk(t *testing.T) {
	tests := []struct {
		script string
		cfg    NodeConfig
	}{
		{"pubsub_config.scs", PEPDefaults()},
		{"pubsub_max_items.scs", DefaultConfig()},
		{"pubsub_multi_items.scs", DefaultConfig()},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			text := readTrunk(t, tc.script)
			start := strings.Index(text, `<x xmlns="jabber:x:data" type="form">`)
			if start < 0 {
				t.Fatalf("%s has no configuration form", tc.script)
			}
			end := strings.Index(text[start:], "</x>")
			want, err := xmlnode.Parse(text[start : start+end+len("</x>")])
			if err != nil {
				t.Fatal(err)
			}
			want.TrimSpace()
			got := ConfigForm(tc.cfg, 256)
			if m := match.Match(want, got); m != nil {
				t.Errorf("form differs: %v\n%s", m, match.FormatMismatch(got, m))
			}
		})
	}
}

// TestConfigForm checks what the match above cannot see in its expected
// forms: values the defaults do not have.
func TestConfigForm(t *testing.T) {
	c := DefaultConfig()
	c.Title = "Nice tunes"
	c.MaxItems = MaxItemsMax
	c.PersistItems = false
	c.RosterGroupsAllowed = []string{"friends", "family"}
	x := ConfigForm(c, 100)
	fields := map[string]*xmlnode.Element{}
	for _, f := range x.ChildrenNamed(nsData, "field") {
		fields[f.Attrib("var")] = f
	}
	for _, tc := range []struct{ v, want string }{
		{"pubsub#title", "<value>Nice tunes</value>"},
		{"pubsub#max_items", `<range min="1" max="100"/></validate><value>max</value>`},
		{"pubsub#persist_items", "<value>0</value>"},
		{"pubsub#roster_groups_allowed", "<value>friends</value><value>family</value>"},
	} {
		if got := fields[tc.v].String(); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %s lacks %s", tc.v, got, tc.want)
		}
	}
}

func TestReadConfig(t *testing.T) {
	form := func(fields string) *Form {
		f, err := ParseForm(xmlnode.MustParse(`<x xmlns="jabber:x:data" type="submit">` + fields + `</x>`))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	field := func(v string, vals ...string) string {
		s := `<field var="` + v + `">`
		for _, val := range vals {
			s += "<value>" + val + "</value>"
		}
		return s + "</field>"
	}
	tests := []struct {
		name    string
		fields  string
		want    configValues
		wantErr string
	}{
		{"booleans in both spellings", field("pubsub#persist_items", "true") + field("pubsub#notify_delete", "0"),
			configValues{"pubsub#persist_items": {"1"}, "pubsub#notify_delete": {"0"}}, ""},
		{"bad boolean", field("pubsub#persist_items", "yes"), nil, "persist_items: Invalid boolean representation:yes"},
		{"max_items number", field("pubsub#max_items", "255"), configValues{"pubsub#max_items": {"255"}}, ""},
		{"max_items max", field("pubsub#max_items", "max"), configValues{"pubsub#max_items": {"max"}}, ""},
		{"max_items above the limit", field("pubsub#max_items", "257"), nil, "max_items: Value out of range"},
		{"max_items zero", field("pubsub#max_items", "0"), nil, "max_items: Value out of range"},
		{"max_items text", field("pubsub#max_items", "ten"), nil, "max_items: Invalid integer"},
		{"unknown option", field("pubsub#access_model", "everyone"), nil, "access_model: Invalid value"},
		{"empty text sets nothing", field("pubsub#title", "") + field("pubsub#description"), configValues{}, ""},
		{"unknown fields ignored", field("pubsub#frobnicate", "1"), configValues{}, ""},
		{"list-multi", field("pubsub#roster_groups_allowed", "a", "b"),
			configValues{"pubsub#roster_groups_allowed": {"a", "b"}}, ""},
		{"wrong FORM_TYPE", `<field var="FORM_TYPE"><value>urn:other</value></field>`, nil, "FORM_TYPE: unexpected urn:other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readConfig(form(tc.fields), 256)
			if tc.wantErr != "" {
				pe, ok := err.(*Error)
				if !ok || pe.Text != tc.wantErr || pe.Condition != "bad-request" {
					t.Fatalf("err = %v, want bad-request %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if strings.Join(got[k], ",") != strings.Join(v, ",") {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestPreconditions(t *testing.T) {
	c := PEPDefaults()
	c.MaxItems = 255
	c.AccessModel = AccessWhitelist
	tests := []struct {
		name string
		cv   configValues
		want string
	}{
		{"all met", configValues{"pubsub#persist_items": {"1"}, "pubsub#max_items": {"255"},
			"pubsub#access_model": {"whitelist"}, "pubsub#send_last_published_item": {"on_sub_and_presence"}}, ""},
		{"access model differs", configValues{"pubsub#access_model": {"open"}}, "access_model"},
		{"max_items differs", configValues{"pubsub#max_items": {"max"}}, "max_items"},
		{"boolean differs", configValues{"pubsub#persist_items": {"0"}}, "persist_items"},
		{"empty list meets none", configValues{"pubsub#roster_groups_allowed": {}}, ""},
	}
	for _, tc := range tests {
		if got := tc.cv.mismatch(c); got != tc.want {
			t.Errorf("%s: mismatch = %q, want %q", tc.name, got, tc.want)
		}
	}
}
