package upload

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"
)

// Handler returns the HTTP side: PUT uploads the file of a slot (once, with
// its token in Authorization, exactly the announced size and type), GET and
// HEAD serve a stored file, OPTIONS answers a browser's CORS preflight
// (web clients upload from another origin). Mount it at Path().
func (s *Service) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "7200")
	id, name, ok := s.parsePath(r.URL.Path)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodPut:
		s.put(w, r, id, name)
	case http.MethodGet, http.MethodHead:
		s.get(w, r, id, name)
	default:
		h.Set("Allow", "GET, HEAD, PUT, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Service) parsePath(p string) (id, name string, ok bool) {
	rest, found := strings.CutPrefix(p, s.cfg.Path)
	if !found {
		return "", "", false
	}
	id, name, found = strings.Cut(rest, "/")
	return id, name, found && id != "" && name != ""
}

func (s *Service) put(w http.ResponseWriter, r *http.Request, id, name string) {
	now := s.cfg.Now()
	s.mu.Lock()
	sl := s.lookupLocked(id, now)
	var tok string
	if sl != nil {
		tok = s.token(sl)
	}
	s.mu.Unlock()
	switch {
	case sl == nil || sl.name != name:
		http.Error(w, "no such slot", http.StatusNotFound)
		return
	case !hmac.Equal([]byte(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")), []byte(tok)):
		http.Error(w, "bad or missing token", http.StatusUnauthorized)
		return
	case !sl.uploaded.IsZero():
		http.Error(w, "already uploaded", http.StatusConflict)
		return
	case r.ContentLength != sl.size:
		http.Error(w, fmt.Sprintf("size must be %d bytes", sl.size), http.StatusRequestEntityTooLarge)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !sameType(ct, sl.ctype) {
		http.Error(w, "content type differs from the slot's", http.StatusUnsupportedMediaType)
		return
	}
	// Read at most the announced size plus one byte, so a body longer than
	// its Content-Length claimed cannot grow the buffer.
	body, err := io.ReadAll(io.LimitReader(r.Body, sl.size+1))
	if err != nil || int64(len(body)) != sl.size {
		http.Error(w, "incomplete upload", http.StatusBadRequest)
		return
	}
	if s.cfg.Dir != "" {
		if err := os.WriteFile(s.file(id), body, 0o600); err != nil {
			http.Error(w, "storage failed", http.StatusInternalServerError)
			return
		}
		body = nil
	}
	s.mu.Lock()
	if cur := s.slots[id]; cur != sl || !sl.uploaded.IsZero() {
		s.mu.Unlock()
		http.Error(w, "slot expired or already uploaded", http.StatusConflict)
		return
	}
	sl.uploaded, sl.data = now, body
	s.pending--
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request, id, name string) {
	s.mu.Lock()
	sl := s.lookupLocked(id, s.cfg.Now())
	var data []byte
	var uploaded time.Time
	if sl != nil {
		data, uploaded = sl.data, sl.uploaded
	}
	s.mu.Unlock()
	if sl == nil || sl.name != name || uploaded.IsZero() {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var body io.ReadSeeker = bytes.NewReader(data)
	if s.cfg.Dir != "" {
		f, err := os.Open(s.file(id))
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		defer f.Close()
		body = f
	}
	h := w.Header()
	h.Set("Content-Type", sl.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disp := "inline"
	if !strings.HasPrefix(sl.ctype, "image/") && !strings.HasPrefix(sl.ctype, "text/plain") {
		disp = "attachment"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": sl.name}))
	http.ServeContent(w, r, "", uploaded, body)
}

func sameType(a, b string) bool {
	ma, _, errA := mime.ParseMediaType(a)
	mb, _, errB := mime.ParseMediaType(b)
	return errors.Join(errA, errB) == nil && ma == mb
}
