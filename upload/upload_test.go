package upload

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/xmlnode"
)

func newService(t *testing.T, cfg Config) *Service {
	t.Helper()
	if cfg.Domain == "" {
		cfg.Domain = "upload.localhost"
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:5280"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func request(name, size, ctype string) *xmlnode.Element {
	return xmlnode.New(NS, "request", "filename", name, "size", size, "content-type", ctype)
}

func TestRequestChecks(t *testing.T) {
	s := newService(t, Config{UserDomain: "localhost", MaxFileSize: 10_000_000, AllowedTypes: []string{"text/plain", "image/*"}})
	tests := []struct {
		name, owner, file, size, ctype string
		cond, text                     string
		maxSize                        int64
	}{
		{"small text", "romeo@localhost", "verysmall.dat", "5", "text/plain", "", "", 0},
		{"image wildcard", "romeo@localhost", "a.png", "5", "image/png", "", "", 0},
		{"type with parameters", "romeo@localhost", "a.txt", "5", "text/plain; charset=utf-8", "", "", 0},
		{"zero bytes", "romeo@localhost", "empty.txt", "0", "text/plain", "", "", 0},
		{"too large", "romeo@localhost", "toolarge.dat", "10000000000", "text/plain", "not-acceptable", "File too large", 10_000_000},
		{"negative", "romeo@localhost", "negative.dat", "-1000", "text/plain", "bad-request", "File size must be positive integer", 0},
		{"not a number", "romeo@localhost", "nan.dat", "1e3", "text/plain", "bad-request", "File size must be positive integer", 0},
		{"slash in name", "romeo@localhost", "invalid/filename.dat", "1000", "text/plain", "bad-request", "Invalid filename", 0},
		{"dot dot", "romeo@localhost", "..", "1000", "text/plain", "bad-request", "Invalid filename", 0},
		{"no name", "romeo@localhost", "", "1000", "text/plain", "bad-request", "Invalid filename", 0},
		{"long name", "romeo@localhost", strings.Repeat("a", 300), "1000", "text/plain", "bad-request", "Invalid filename", 0},
		{"type not allowed", "romeo@localhost", "evil.exe", "1000", "application/x-executable", "not-acceptable", "File type not allowed", 0},
		{"remote user", "romeo@example.org", "a.txt", "5", "text/plain", "forbidden", "Uploads are for local accounts", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slot, err := s.Request(tt.owner, request(tt.file, tt.size, tt.ctype))
			if tt.cond == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				put, get := slot.Child(NS, "put"), slot.Child(NS, "get")
				if put == nil || get == nil || put.Attrib("url") != get.Attrib("url") || !strings.HasPrefix(get.Attrib("url"), "http://127.0.0.1:5280/file_share/") {
					t.Fatalf("slot %s", slot)
				}
				if h := put.Child(NS, "header"); h == nil || h.Attrib("name") != "Authorization" || !strings.HasPrefix(h.Text(), "Bearer ") {
					t.Fatalf("no Authorization header in %s", slot)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Condition != tt.cond || e.Text != tt.text || e.MaxFileSize != tt.maxSize {
				t.Fatalf("got %v, want %s %q", err, tt.cond, tt.text)
			}
		})
	}
}

type slotURLs struct{ put, get, auth string }

func askSlot(t *testing.T, s *Service, owner, name string, size int, ctype string) slotURLs {
	t.Helper()
	slot, err := s.Request(owner, request(name, strconv.Itoa(size), ctype))
	if err != nil {
		t.Fatal(err)
	}
	put := slot.Child(NS, "put")
	return slotURLs{put.Attrib("url"), slot.Child(NS, "get").Attrib("url"), put.Child(NS, "header").Text()}
}

func do(t *testing.T, srv *httptest.Server, method, url, auth, ctype, body string) (int, string) {
	t.Helper()
	url = strings.Replace(url, "http://127.0.0.1:5280", srv.URL, 1)
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPutGet(t *testing.T) {
	for _, dir := range []string{"", "disk"} {
		t.Run("dir="+dir, func(t *testing.T) {
			cfg := Config{}
			if dir != "" {
				cfg.Dir = t.TempDir()
			}
			s := newService(t, cfg)
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			u := askSlot(t, s, "romeo@localhost", "hello.txt", 5, "text/plain")
			other := askSlot(t, s, "juliet@localhost", "x.txt", 5, "text/plain")

			steps := []struct {
				name, method, url, auth, ctype, body string
				want                                 int
			}{
				{"get before upload", "GET", u.get, "", "", "", 404},
				{"no token", "PUT", u.put, "", "text/plain", "hello", 401},
				{"another slot's token", "PUT", u.put, other.auth, "text/plain", "hello", 401},
				{"wrong size", "PUT", u.put, u.auth, "text/plain", "hello!", 413},
				{"wrong type", "PUT", u.put, u.auth, "image/png", "hello", 415},
				{"upload", "PUT", u.put, u.auth, "text/plain", "hello", 201},
				{"second upload", "PUT", u.put, u.auth, "text/plain", "hello", 409},
				{"download", "GET", u.get, "", "", "", 200},
				{"wrong name", "GET", strings.Replace(u.get, "hello.txt", "other.txt", 1), "", "", "", 404},
				{"preflight", "OPTIONS", u.put, "", "", "", 204},
				{"delete", "DELETE", u.get, "", "", "", 405},
			}
			for _, st := range steps {
				code, body := do(t, srv, st.method, st.url, st.auth, st.ctype, st.body)
				if code != st.want {
					t.Fatalf("%s: status %d (%s), want %d", st.name, code, body, st.want)
				}
				if st.name == "download" && body != "hello" {
					t.Fatalf("downloaded %q", body)
				}
			}
		})
	}
}

func TestQuotasAndExpiry(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newService(t, Config{TotalQuota: 100, DailyQuota: 60, MaxPending: 3, SlotTTL: time.Minute, Expiry: time.Hour, Now: func() time.Time { return now }})
	if _, err := s.Request("a@localhost", request("1", "50", "text/plain")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Request("a@localhost", request("2", "20", "text/plain")); err == nil || err.(*Error).Text != "Daily quota reached" {
		t.Fatalf("daily quota: %v", err)
	}
	if _, err := s.Request("b@localhost", request("3", "50", "text/plain")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Request("c@localhost", request("4", "1", "text/plain")); err == nil || err.(*Error).Condition != "resource-constraint" {
		t.Fatalf("total quota: %v", err)
	}
	if used, pending := s.Stored(); used != 100 || pending != 2 {
		t.Fatalf("stored %d bytes, %d pending", used, pending)
	}
	now = now.Add(2 * time.Minute) // both slots expire unused
	if _, err := s.Request("c@localhost", request("4", "1", "text/plain")); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if used, pending := s.Stored(); used != 1 || pending != 1 {
		t.Fatalf("after expiry: %d bytes, %d pending", used, pending)
	}
	for i := range 2 {
		if _, err := s.Request("d@localhost", request("p"+strconv.Itoa(i), "1", "text/plain")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Request("d@localhost", request("p9", "1", "text/plain")); err == nil {
		t.Fatal("more pending slots than MaxPending")
	}
}

func TestStoredFileExpires(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newService(t, Config{Expiry: time.Hour, Now: func() time.Time { return now }})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	u := askSlot(t, s, "romeo@localhost", "a.txt", 3, "text/plain")
	if code, _ := do(t, srv, "PUT", u.put, u.auth, "text/plain", "abc"); code != 201 {
		t.Fatalf("put %d", code)
	}
	now = now.Add(2 * time.Hour)
	if code, _ := do(t, srv, "GET", u.get, "", "", ""); code != 404 {
		t.Fatalf("expired file served: %d", code)
	}
	if used, _ := s.Stored(); used != 0 {
		t.Fatalf("expired file still counted: %d bytes", used)
	}
}

// TestSweepThrottled checks that expired slots are swept from the quotas
// at most once per sweepEvery (a slot request used to go through every
// slot and every owner's daily count), while a lookup never serves a slot
// past its time, whenever the last sweep was.
func TestSweepThrottled(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := newService(t, Config{SlotTTL: 100 * time.Millisecond, Now: func() time.Time { return now }})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	u := askSlot(t, s, "romeo@localhost", "a.txt", 3, "text/plain") // sweeps now
	askSlot(t, s, "juliet@localhost", "b.txt", 4, "text/plain")
	now = now.Add(sweepEvery / 2) // both past their TTL, no sweep due
	askSlot(t, s, "mallory@localhost", "c.txt", 5, "text/plain")
	if used, pending := s.Stored(); used != 12 || pending != 3 {
		t.Fatalf("between sweeps: %d bytes, %d pending; want the expired slots still counted (12, 3)", used, pending)
	}
	if code, _ := do(t, srv, "PUT", u.put, u.auth, "text/plain", "abc"); code != 404 {
		t.Fatalf("PUT to a slot past its TTL between sweeps: %d, want 404", code)
	}
	if used, pending := s.Stored(); used != 9 || pending != 2 {
		t.Fatalf("after the lookup: %d bytes, %d pending; want its slot given back (9, 2)", used, pending)
	}
	now = now.Add(sweepEvery) // the next sweep is due: every slot is past its TTL
	askSlot(t, s, "romeo@localhost", "d.txt", 1, "text/plain")
	if used, pending := s.Stored(); used != 1 || pending != 1 {
		t.Fatalf("after the sweep: %d bytes, %d pending, want 1, 1", used, pending)
	}
}
