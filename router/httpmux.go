package router

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/muctest/muctest/module"
)

// httpMux serves the modules' HTTP routes (Router.HTTPHandler) on a
// ServeMux it builds at the first request. Registering the routes was an
// eighth of New's allocations, and most servers (one per scansion script)
// never serve HTTP. New still refuses a bad or conflicting pattern: see
// checkHTTPRoutes.
type httpMux struct {
	routes []module.HTTPRoute
	once   sync.Once
	mux    *http.ServeMux
}

// ServeHTTP builds the mux on first use and serves req on it.
func (m *httpMux) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	m.once.Do(m.build)
	m.mux.ServeHTTP(w, req)
}

func (m *httpMux) build() {
	m.mux = http.NewServeMux()
	for _, h := range m.routes {
		// Checked at New (checkHTTPRoutes): none fails here.
		_ = safeHandle(m.mux, h)
	}
}

// checkedRoutes caches, by pattern list, what checking those patterns on a
// ServeMux gave: whether ServeMux accepts a pattern set depends on the
// patterns alone, and a process makes its servers from a handful of
// configurations. At most maxCheckedRoutes lists are kept.
var checkedRoutes struct {
	mu sync.Mutex
	m  map[string]error
}

const maxCheckedRoutes = 64

// checkHTTPRoutes returns the error registering routes on a fresh ServeMux
// gives (a malformed pattern, two conflicting ones, a nil handler), nil
// when there is none, as registering them at New did.
func checkHTTPRoutes(routes []module.HTTPRoute) error {
	var key strings.Builder
	for _, h := range routes {
		if h.Handler == nil {
			return checkHTTPRoutesOnMux(routes) // not cached: the handlers matter
		}
		key.WriteString(strconv.Itoa(len(h.Pattern)))
		key.WriteByte(':')
		key.WriteString(h.Pattern)
	}
	k := key.String()
	checkedRoutes.mu.Lock()
	err, ok := checkedRoutes.m[k]
	checkedRoutes.mu.Unlock()
	if ok {
		return err
	}
	err = checkHTTPRoutesOnMux(routes)
	checkedRoutes.mu.Lock()
	if checkedRoutes.m == nil {
		checkedRoutes.m = map[string]error{}
	}
	if len(checkedRoutes.m) < maxCheckedRoutes {
		checkedRoutes.m[k] = err
	}
	checkedRoutes.mu.Unlock()
	return err
}

func checkHTTPRoutesOnMux(routes []module.HTTPRoute) error {
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
func safeHandle(mux *http.ServeMux, h module.HTTPRoute) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("http route %q: %v", h.Pattern, v)
		}
	}()
	mux.Handle(h.Pattern, h.Handler)
	return nil
}
