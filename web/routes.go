package web

// This file keeps the routes the modules register for the mux of
// server.Server.HTTPHandler. They are kept on the Registrar
// (Registrar.Share), per server, rather than by package module itself, so
// that module and the router import no net/http: the test binaries of the
// modules that serve no HTTP then link neither net/http nor crypto/tls
// (issue 10). A module registers a route with Handle on the Registrar it
// is given; the server, once every module has registered, gets the mux
// with Mux.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/muctest/muctest/module"
)

// Route is an HTTP handler registered for a pattern (net/http.ServeMux
// syntax).
type Route struct {
	Pattern string
	Handler http.Handler
}

// routesKey is the Registrar.Share key of a server's *[]Route.
type routesKey struct{}

// Handle registers h for pattern (net/http.ServeMux syntax) on the mux
// that Mux returns for r, and so on Server.HTTPHandler: XEP-0363 upload
// (mod/upload), the WebSocket, BOSH and host-meta routes (the server's
// web module). A malformed pattern, a conflict with another route or a
// nil h is an error from Mux (and from server.New).
func Handle(r *module.Registrar, pattern string, h http.Handler) {
	routes, _ := r.Shared(routesKey{})().(*[]Route)
	if routes == nil {
		routes = new([]Route)
		r.Share(routesKey{}, routes)
	}
	*routes = append(*routes, Route{pattern, h})
}

// Routes returns the routes registered on r, in registration order.
func Routes(r *module.Registrar) []Route {
	if routes, _ := r.Shared(routesKey{})().(*[]Route); routes != nil {
		return *routes
	}
	return nil
}

// Mux returns the mux of the routes registered on r, or the error
// registering them on a ServeMux gives (a malformed or conflicting
// pattern, a nil handler). Call it once every module has registered. The
// mux itself is built at its first request: registering the routes was an
// eighth of a server's allocations at New, and most servers (one per
// scansion script) never serve HTTP; the check is cached per pattern list.
func Mux(r *module.Registrar) (http.Handler, error) {
	routes := Routes(r)
	if err := check(routes); err != nil {
		return nil, err
	}
	return &mux{routes: routes}, nil
}

// mux serves routes on a ServeMux it builds at the first request.
type mux struct {
	routes []Route
	once   sync.Once
	mux    *http.ServeMux
}

// ServeHTTP builds the mux on first use and serves req on it.
func (m *mux) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	m.once.Do(m.build)
	m.mux.ServeHTTP(w, req)
}

func (m *mux) build() {
	m.mux = http.NewServeMux()
	for _, h := range m.routes {
		// Checked by Mux: none fails here.
		_ = safeHandle(m.mux, h)
	}
}

// checked caches, by pattern list, what checking those patterns on a
// ServeMux gave: whether ServeMux accepts a pattern set depends on the
// patterns alone, and a process makes its servers from a handful of
// configurations. At most maxChecked lists are kept.
var checked struct {
	mu sync.Mutex
	m  map[string]error
}

const maxChecked = 64

// check returns the error registering routes on a fresh ServeMux gives (a
// malformed pattern, two conflicting ones, a nil handler), nil when there
// is none.
func check(routes []Route) error {
	var key strings.Builder
	for _, h := range routes {
		if h.Handler == nil {
			return checkOnMux(routes) // not cached: the handlers matter
		}
		key.WriteString(strconv.Itoa(len(h.Pattern)))
		key.WriteByte(':')
		key.WriteString(h.Pattern)
	}
	k := key.String()
	checked.mu.Lock()
	err, ok := checked.m[k]
	checked.mu.Unlock()
	if ok {
		return err
	}
	err = checkOnMux(routes)
	checked.mu.Lock()
	if checked.m == nil {
		checked.m = map[string]error{}
	}
	if len(checked.m) < maxChecked {
		checked.m[k] = err
	}
	checked.mu.Unlock()
	return err
}

func checkOnMux(routes []Route) error {
	mux := http.NewServeMux()
	for _, h := range routes {
		if err := safeHandle(mux, h); err != nil {
			return err
		}
	}
	return nil
}

// safeHandle registers an HTTP route, turning ServeMux's panic on a bad or
// conflicting pattern into an error.
func safeHandle(mux *http.ServeMux, h Route) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("http route %q: %v", h.Pattern, v)
		}
	}()
	mux.Handle(h.Pattern, h.Handler)
	return nil
}
