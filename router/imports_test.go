package router_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRouterKnowsNoFeature keeps the core a core: none of its (non-test)
// files imports a feature module or the MUC service.
func TestRouterKnowsNoFeature(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, "github.com/muctest/muctest/mod/") || p == "github.com/muctest/muctest/muc" ||
				p == "github.com/muctest/muctest/server" {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no file checked")
	}
}

// heavyImports are what the routing core must not link (issue 10): every
// module's test binary links the router, package module and moduletest,
// and with any of these it linked crypto/tls and x509 (c2s, for STARTTLS;
// mellium.im/sasl, for channel binding) or net/http too, a third more
// link time per binary.
var heavyImports = map[string]bool{
	"crypto/tls": true, "net/http": true, "mellium.im/sasl": true,
	"github.com/muctest/muctest/c2s": true,
}

// TestCoreLinksNoTLS walks the (non-test) imports of the router and of
// package moduletest through the packages of this module, and fails on
// one of heavyImports: a module's test then links the server's TLS and
// HTTP stacks only when the module itself imports them. Standard library
// packages are not walked (none of those the core uses reaches TLS).
func TestCoreLinksNoTLS(t *testing.T) {
	const mod = "github.com/muctest/muctest/"
	seen := map[string]bool{}
	var walk func(pkg, dir string, chain []string)
	walk = func(pkg, dir string, chain []string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		chain = append(chain, pkg)
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if heavyImports[p] {
					t.Errorf("%s imports %s", strings.Join(chain, " -> "), p)
				}
				if rest, ok := strings.CutPrefix(p, mod); ok {
					walk(p, filepath.Join("..", filepath.FromSlash(rest)), chain)
				}
			}
		}
	}
	walk(mod+"router", ".", nil)
	walk(mod+"moduletest", "../moduletest", nil)
	for _, p := range []string{"module", "quota", "c2sapi", "moduletest"} {
		if !seen[mod+p] {
			t.Errorf("%s not reached: the walk is broken", p)
		}
	}
}
