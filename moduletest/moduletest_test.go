package moduletest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/muctest/muctest/mod/ping"
	"github.com/muctest/muctest/moduletest"
)

// recordingT fails like a test would, but records the failure instead.
type recordingT struct {
	testing.TB
	failure string
}

func (r *recordingT) Helper() {}

func (r *recordingT) Fatalf(format string, args ...any) {
	r.failure = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// failure runs f against a client bound to a recordingT and returns how
// it failed ("" when it did not).
func failure(c *moduletest.Client, f func(c *moduletest.Client)) string {
	rt := &recordingT{TB: nil}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(c.In(rt))
	}()
	<-done
	return rt.failure
}

// TestExpectFails proves Expect fails on every kind of difference, and
// passes on an exact match, so that the module tests built on it mean
// what they say.
func TestExpectFails(t *testing.T) {
	s := moduletest.New(t, ping.Module{})
	a := s.Login("alice@localhost/a")
	ping := `<iq type="get" id="p" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>`
	result := `<iq type="result" id="p" from="localhost"/>`
	tests := []struct {
		name, want string // want: a fragment of the failure, "" for none
		f          func(c *moduletest.Client)
	}{
		{"match", "", func(c *moduletest.Client) { c.Send(ping); c.Expect(result) }},
		{"attribute differs", "attribute id", func(c *moduletest.Client) {
			c.Send(ping)
			c.Expect(`<iq type="result" id="other" from="localhost"/>`)
		}},
		{"payload differs", "differs", func(c *moduletest.Client) {
			c.Send(ping)
			c.Expect(`<iq type="result" id="p"><ping xmlns="urn:xmpp:ping"/></iq>`)
		}},
		{"missing", "missing", func(c *moduletest.Client) { c.Expect(result) }},
		{"extra", "unexpected", func(c *moduletest.Client) { c.Send(ping); c.Send(ping); c.Expect(result) }},
		{"nothing expected", "unexpected", func(c *moduletest.Client) { c.Send(ping); c.ExpectNothing() }},
	}
	for _, tc := range tests {
		got := failure(a, tc.f)
		a.Received() // whatever a failed check left
		switch {
		case tc.want == "" && got != "":
			t.Errorf("%s: failed: %s", tc.name, got)
		case tc.want != "" && !strings.Contains(got, tc.want):
			t.Errorf("%s: failure %q, want one mentioning %q", tc.name, got, tc.want)
		}
	}
}
