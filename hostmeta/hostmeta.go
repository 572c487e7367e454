// Package hostmeta serves XEP-0156 discovery of alternative connection
// methods: /.well-known/host-meta (an RFC 6415 XRD document) and
// /.well-known/host-meta.json (its JSON form), naming the server's BOSH
// (XEP-0206) and WebSocket (RFC 7395) endpoints, so that a web client given
// only a domain finds where to connect.
package hostmeta

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// Paths of the two documents.
const (
	PathXRD  = "/.well-known/host-meta"
	PathJSON = "/.well-known/host-meta.json"
)

// Link relations of XEP-0156.
const (
	RelBOSH      = "urn:xmpp:alt-connections:xbosh"
	RelWebSocket = "urn:xmpp:alt-connections:websocket"
)

// Config names the endpoints. A path ("/http-bind") is made absolute from
// the request itself (its Host, and https/wss when it came over TLS), so
// the same server answers correctly on every address it listens on; an
// absolute URL is used as is (behind a proxy).
type Config struct {
	BOSH      string // "" when not served
	WebSocket string // "" when not served
}

// Handler serves both documents; mount it at PathXRD and PathJSON.
type Handler struct{ cfg Config }

// New returns a Handler for cfg.
func New(cfg Config) *Handler { return &Handler{cfg: cfg} }

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// Links returns the links for a request r.
func (h *Handler) Links(r *http.Request) []link {
	var links []link
	if h.cfg.BOSH != "" {
		links = append(links, link{RelBOSH, absolute(r, h.cfg.BOSH, false)})
	}
	if h.cfg.WebSocket != "" {
		links = append(links, link{RelWebSocket, absolute(r, h.cfg.WebSocket, true)})
	}
	return links
}

func absolute(r *http.Request, path string, websocket bool) string {
	if strings.Contains(path, "://") {
		return path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if websocket {
		scheme = strings.Replace(scheme, "http", "ws", 1)
	}
	return scheme + "://" + r.Host + path
}

// ServeHTTP answers GET (and HEAD) with the document its path names. CORS
// is open, as XEP-0156 section 3.2.1 recommends, so that a page on any
// origin can read it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		w.Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
		w.WriteHeader(http.StatusOK)
		return
	default:
		w.Header().Set("Allow", "GET, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	links := h.Links(r)
	if strings.HasSuffix(r.URL.Path, ".json") {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(struct {
			Links []link `json:"links"`
		}{links})
		return
	}
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n")
	for _, l := range links {
		b.WriteString("  <Link rel='" + l.Rel + "' href='")
		_ = xml.EscapeText(&b, []byte(l.Href))
		b.WriteString("'/>\n")
	}
	b.WriteString("</XRD>\n")
	_, _ = w.Write([]byte(b.String()))
}
