package router_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muctest/muctest/module"
)

// httpModule registers one handler per pattern, answering its own name
// and the server's, so that a response shows which server's handler ran.
func httpModule(server string, patterns ...string) module.Module {
	return module.New("web", func(r *module.Registrar) error {
		for _, p := range patterns {
			r.HandleHTTP(p, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, server+" "+p)
			}))
		}
		return nil
	})
}

// TestHTTPRoutes: the routes are served (the mux is built at the first
// request, by each router with its own handlers), and a bad or conflicting
// pattern is still an error from New, the second time too (the checks are
// cached per pattern list).
func TestHTTPRoutes(t *testing.T) {
	for _, name := range []string{"one", "two"} {
		r, err := newRouter(httpModule(name, "GET /a", "/b/"))
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{"/a": name + " GET /a", "/b/c": name + " /b/", "/x": "404 page not found\n"} {
			rec := httptest.NewRecorder()
			r.HTTPHandler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if got := rec.Body.String(); got != want {
				t.Errorf("router %s, GET %s: %q, want %q", name, path, got, want)
			}
		}
	}
	for _, bad := range [][]string{{"GET /a", "GET /a"}, {"GET /{x"}, {"/p", "/p"}} {
		for range 2 {
			_, err := newRouter(httpModule("x", bad...))
			if err == nil || !strings.Contains(err.Error(), "http route") {
				t.Errorf("New with routes %q: %v, want an http route error", bad, err)
			}
		}
	}
	_, err := newRouter(module.New("nil", func(r *module.Registrar) error {
		r.HandleHTTP("/n", nil)
		return nil
	}))
	if err == nil {
		t.Error("New took a nil HTTP handler")
	}
}
