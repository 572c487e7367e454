package hostmeta

import (
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestDocuments(t *testing.T) {
	h := New(Config{BOSH: "/http-bind", WebSocket: "/xmpp-websocket"})
	tests := []struct {
		name, path string
		tls        bool
		bosh, ws   string
	}{
		{"xrd", PathXRD, false, "http://example.org:5280/http-bind", "ws://example.org:5280/xmpp-websocket"},
		{"json", PathJSON, false, "http://example.org:5280/http-bind", "ws://example.org:5280/xmpp-websocket"},
		{"xrd over tls", PathXRD, true, "https://example.org:5280/http-bind", "wss://example.org:5280/xmpp-websocket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://example.org:5280"+tc.path, nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("%d %v", w.Code, w.Header())
			}
			got := map[string]string{}
			if tc.path == PathJSON {
				var doc struct{ Links []link }
				if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
					t.Fatal(err)
				}
				for _, l := range doc.Links {
					got[l.Rel] = l.Href
				}
			} else {
				var doc struct {
					XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
					Links   []struct {
						Rel  string `xml:"rel,attr"`
						Href string `xml:"href,attr"`
					} `xml:"Link"`
				}
				if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
					t.Fatalf("%v: %s", err, w.Body)
				}
				for _, l := range doc.Links {
					got[l.Rel] = l.Href
				}
			}
			if got[RelBOSH] != tc.bosh || got[RelWebSocket] != tc.ws {
				t.Fatalf("links %v", got)
			}
		})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, PathXRD, nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", w.Code)
	}
}
