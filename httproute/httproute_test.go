package httproute_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muctest/muctest/httproute"
	"github.com/muctest/muctest/module"
)

// handler registers mods on a fresh Registrar, as the router does, and
// returns its mux (or the error), as server.New gets it.
func handler(mods ...module.Module) (http.Handler, error) {
	reg := module.NewRegistrar(module.Env{Domain: "localhost"})
	for _, m := range mods {
		reg.Begin(m.Name())
		if err := m.Register(reg); err != nil {
			return nil, err
		}
	}
	return httproute.Handler(reg)
}

// httpModule registers one handler per pattern, answering its own name
// and the server's, so that a response shows which server's handler ran.
func httpModule(server string, patterns ...string) module.Module {
	return module.New("web", func(r *module.Registrar) error {
		for _, p := range patterns {
			httproute.Handle(r, p, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, server+" "+p)
			}))
		}
		return nil
	})
}

// TestRoutes: the routes are served (the mux is built at the first
// request, by each server with its own handlers), and a bad or conflicting
// pattern is an error from Handler, the second time too (the checks are
// cached per pattern list).
func TestRoutes(t *testing.T) {
	for _, name := range []string{"one", "two"} {
		h, err := handler(httpModule(name, "GET /a"), httpModule(name, "/b/"))
		if err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]string{"/a": name + " GET /a", "/b/c": name + " /b/", "/x": "404 page not found\n"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if got := rec.Body.String(); got != want {
				t.Errorf("server %s, GET %s: %q, want %q", name, path, got, want)
			}
		}
	}
	for _, bad := range [][]string{{"GET /a", "GET /a"}, {"GET /{x"}, {"/p", "/p"}} {
		for range 2 {
			_, err := handler(httpModule("x", bad...))
			if err == nil || !strings.Contains(err.Error(), "http route") {
				t.Errorf("Handler with routes %q: %v, want an http route error", bad, err)
			}
		}
	}
	_, err := handler(module.New("nil", func(r *module.Registrar) error {
		httproute.Handle(r, "/n", nil)
		return nil
	}))
	if err == nil {
		t.Error("Handler took a nil HTTP handler")
	}
}

// TestNoRoutes: a server whose modules register no route serves 404s.
func TestNoRoutes(t *testing.T) {
	h, err := handler()
	if err != nil {
		t.Fatal(err)
	}
	if len(httproute.Routes(module.NewRegistrar(module.Env{}))) != 0 {
		t.Error("routes on an empty Registrar")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /: %d, want 404", rec.Code)
	}
}

// TestServed: the mux answers over a real HTTP server.
func TestServed(t *testing.T) {
	h, err := handler(httpModule("s", "GET /hello"))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != "s GET /hello" {
		t.Fatalf("GET /hello: %d %q", resp.StatusCode, b)
	}
}
