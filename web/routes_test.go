package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/web"
)

// routesMux registers mods on a fresh Registrar, as the router does, and
// returns its mux (or the error), as server.New gets it.
func routesMux(mods ...module.Module) (http.Handler, error) {
	reg := module.NewRegistrar(module.Env{Domain: "localhost"})
	for _, m := range mods {
		reg.Begin(m.Name())
		if err := m.Register(reg); err != nil {
			return nil, err
		}
	}
	return web.Mux(reg)
}

// routesModule registers one handler per pattern, answering its own name
// and the server's, so that a response shows which server's handler ran.
func routesModule(server string, patterns ...string) module.Module {
	return module.New("web", func(r *module.Registrar) error {
		for _, p := range patterns {
			web.Handle(r, p, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, server+" "+p)
			}))
		}
		return nil
	})
}

// TestModuleRoutes: the routes are served (the mux is built at the first
// request, by each server with its own handlers), and a bad or conflicting
// pattern is an error from Mux, the second time too (the checks are
// cached per pattern list).
func TestModuleRoutes(t *testing.T) {
	for _, name := range []string{"one", "two"} {
		h, err := routesMux(routesModule(name, "GET /a"), routesModule(name, "/b/"))
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
			_, err := routesMux(routesModule("x", bad...))
			if err == nil || !strings.Contains(err.Error(), "http route") {
				t.Errorf("Mux with routes %q: %v, want an http route error", bad, err)
			}
		}
	}
	_, err := routesMux(module.New("nil", func(r *module.Registrar) error {
		web.Handle(r, "/n", nil)
		return nil
	}))
	if err == nil {
		t.Error("Mux took a nil HTTP handler")
	}
}

// TestNoModuleRoutes: a server whose modules register no route serves 404s.
func TestNoModuleRoutes(t *testing.T) {
	h, err := routesMux()
	if err != nil {
		t.Fatal(err)
	}
	if len(web.Routes(module.NewRegistrar(module.Env{}))) != 0 {
		t.Error("routes on an empty Registrar")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /: %d, want 404", rec.Code)
	}
}
