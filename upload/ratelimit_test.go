package upload

import (
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

// fakeClock is a Config.Now that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestRequestLimit checks the slot request buckets: Burst requests go
// through at once, the next is refused wait/resource-constraint with the
// time a token is back, which it is at that time and not before; accounts
// have a bucket each, an address one for all its accounts; a refused
// request spends nothing; a negative Burst lifts the limit.
func TestRequestLimit(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a1, a2 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	type step struct {
		owner string
		addr  netip.Addr
		after time.Duration // the clock moves on this much first
		retry time.Duration // refused, with a token back this long after start; 0: granted
	}
	tests := []struct {
		name      string
		acct, ip  RateLimit
		steps     []step
		wantTotal int
	}{
		{"account burst then rate", RateLimit{Burst: 3, Every: 10 * time.Second}, RateLimit{Burst: -1}, []step{
			{"a@x", a1, 0, 0}, {"a@x", a1, 0, 0}, {"a@x", a1, 0, 0},
			{"a@x", a1, 0, 10 * time.Second},
			{"a@x", a1, 5 * time.Second, 10 * time.Second}, // refusals spend nothing
			{"b@x", a1, 0, 0},                              // another account has its own
			{"a@x", a1, 5 * time.Second, 0},                // a token back at 10 s
			{"a@x", a1, 0, 20 * time.Second},
			{"a@x", a1, time.Minute, 0}, {"a@x", a1, 0, 0}, {"a@x", a1, 0, 0}, // full again: a whole burst
			{"a@x", a1, 0, 80 * time.Second}, // at 70 s, three tokens spent
		}, 8},
		{"address shared by accounts", RateLimit{Burst: 100, Every: time.Second}, RateLimit{Burst: 2, Every: 4 * time.Second}, []step{
			{"a@x", a1, 0, 0}, {"b@x", a1, 0, 0},
			{"c@x", a1, 0, 4 * time.Second},
			{"c@x", a2, 0, 0},               // another address has its own
			{"c@x", netip.Addr{}, 0, 0},     // no address: only the account counts
			{"d@x", a1, 4 * time.Second, 0}, // a token back
			{"d@x", a1, 0, 8 * time.Second},
		}, 5},
		{"no limit", RateLimit{Burst: -1}, RateLimit{Burst: -1}, []step{
			{"a@x", a1, 0, 0}, {"a@x", a1, 0, 0}, {"a@x", a1, 0, 0}, {"a@x", a1, 0, 0}, {"a@x", a1, 0, 0},
		}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{start}
			s := newService(t, Config{RequestLimit: tc.acct, AddrRequestLimit: tc.ip, MaxPending: 1000, Now: clock.now})
			granted := 0
			for i, st := range tc.steps {
				clock.t = clock.t.Add(st.after)
				_, err := s.RequestFrom(st.owner, st.addr, request("f"+strconv.Itoa(i), "1", "text/plain"))
				if st.retry == 0 {
					if err != nil {
						t.Fatalf("step %d (%s at %v): refused: %v", i, st.owner, clock.t.Sub(start), err)
					}
					granted++
					continue
				}
				e, ok := err.(*Error)
				if !ok || e.Type != "wait" || e.Condition != "resource-constraint" || e.Text == "" {
					t.Fatalf("step %d (%s at %v): got %v, want wait/resource-constraint", i, st.owner, clock.t.Sub(start), err)
				}
				if want := start.Add(st.retry); !e.RetryAt.Equal(want) {
					t.Fatalf("step %d: retry at %v, want %v", i, e.RetryAt.Sub(start), st.retry)
				}
			}
			if _, pending := s.Stored(); pending != tc.wantTotal || granted != tc.wantTotal {
				t.Errorf("%d slots pending, %d granted, want %d", pending, granted, tc.wantTotal)
			}
		})
	}
}

// TestRequestLimitCountsBadRequests checks that a request the service
// refuses for what it asks (a bad filename) spends a token as well: a
// flood of bad requests is as much a flood.
func TestRequestLimitCountsBadRequests(t *testing.T) {
	clock := &fakeClock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newService(t, Config{RequestLimit: RateLimit{Burst: 2, Every: time.Minute}, Now: clock.now})
	for range 2 {
		if _, err := s.Request("a@x", request("bad/name", "1", "text/plain")); err == nil || err.(*Error).Condition != "bad-request" {
			t.Fatalf("got %v, want bad-request", err)
		}
	}
	if _, err := s.Request("a@x", request("good", "1", "text/plain")); err == nil || err.(*Error).Condition != "resource-constraint" {
		t.Fatalf("after two bad requests: got %v, want resource-constraint", err)
	}
}

// TestRequestLimitSweep checks that the buckets of clients whose
// allowance is whole again are forgotten, so the tables hold only recent
// askers.
func TestRequestLimitSweep(t *testing.T) {
	clock := &fakeClock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := newService(t, Config{RequestLimit: RateLimit{Burst: 5, Every: time.Second}, Now: clock.now})
	for i := range 100 {
		addr := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
		if _, err := s.RequestFrom("u"+strconv.Itoa(i)+"@x", addr, request("f", "1", "text/plain")); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := len(s.byOwner.buckets), len(s.byAddr.buckets); n != 100 || m != 100 {
		t.Fatalf("tables hold %d accounts, %d addresses, want 100 each", n, m)
	}
	clock.t = clock.t.Add(2 * time.Second) // every bucket full again, and a sweep due
	if _, err := s.RequestFrom("last@x", netip.Addr{}, request("f", "1", "text/plain")); err != nil {
		t.Fatal(err)
	}
	if n, m := len(s.byOwner.buckets), len(s.byAddr.buckets); n != 1 || m != 0 {
		t.Errorf("after the sweep the tables hold %d accounts, %d addresses, want 1 and 0", n, m)
	}
}

// TestRetryStamp checks the XEP-0363 <retry/> element of a throttled
// request's error: a UTC XEP-0082 stamp rounded up to the second.
func TestRetryStamp(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2017, 12, 3, 23, 42, 5, 0, time.UTC), "2017-12-03T23:42:05Z"},
		{time.Date(2017, 12, 3, 23, 42, 4, 1, time.UTC), "2017-12-03T23:42:05Z"},
		{time.Date(2017, 12, 4, 0, 42, 4, 500, time.FixedZone("CET", 3600)), "2017-12-03T23:42:05Z"},
	} {
		errEl := xmlnode.New("jabber:client", "error")
		(&Error{Type: "wait", Condition: "resource-constraint", RetryAt: tc.at}).Append(errEl)
		r := errEl.Child(NS, "retry")
		if r == nil || r.Attrib("stamp") != tc.want {
			t.Errorf("%v: got %s, want stamp %s", tc.at, errEl, tc.want)
		}
	}
}

// BenchmarkRequest is what one slot request costs the service: granted
// (an id, an HMAC, a URL and the <slot/> payload) and refused by the rate
// limit (the error and its <retry/>), as mucattack's upload-slot-flood
// makes it answer.
func BenchmarkRequest(b *testing.B) {
	req := request("f.bin", "1000", "application/octet-stream")
	b.Run("granted", func(b *testing.B) {
		s, err := New(Config{Domain: "upload.localhost", BaseURL: "http://127.0.0.1:5280", MaxPending: 1 << 30, TotalQuota: 1 << 60, DailyQuota: 1 << 60,
			RequestLimit: RateLimit{Burst: -1}, AddrRequestLimit: RateLimit{Burst: -1}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Request("a@localhost", req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("refused", func(b *testing.B) {
		s, err := New(Config{Domain: "upload.localhost", BaseURL: "http://127.0.0.1:5280", RequestLimit: RateLimit{Burst: 1, Every: time.Hour}})
		if err != nil {
			b.Fatal(err)
		}
		addr := netip.MustParseAddr("192.0.2.1")
		b.ReportAllocs()
		for b.Loop() {
			_, err := s.RequestFrom("a@localhost", addr, req)
			if e, ok := err.(*Error); ok {
				e.Append(xmlnode.New("jabber:client", "error"))
			}
		}
	})
}
