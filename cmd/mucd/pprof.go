//go:build mucattack_pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // the profiles cmd/mucattack -pprof reads
	"os"
)

// With the mucattack_pprof build tag (cmd/mucattack -pprof builds mucd so)
// and MUCD_PPROF=host:port in the environment, mucd serves net/http/pprof
// there: the live heap and CPU profiles of a server under attack. A default
// build has none of it.
func init() {
	if a := os.Getenv("MUCD_PPROF"); a != "" {
		go func() { _ = http.ListenAndServe(a, nil) }()
	}
}
