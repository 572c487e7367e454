package server

import (
	"time"

	"crypto/tls"

	"mellium.im/xmpp/stream"

	"github.com/muctest/muctest/tlscert"
)

var streamSystemShutdown = stream.SystemShutdown

// selfSigned makes a throwaway certificate for domain and the default MUC
// domain so that STARTTLS works out of the box (package tlscert says what
// clients need of it). It lives as long as the server: a client must skip
// verification, as test clients do. A server whose clients should trust
// its certificate across restarts (cmd/mucd) passes Config.TLS, from
// tlscert.LoadOrCreate or the user's own files.
func selfSigned(domain string) (*tls.Config, error) {
	cert, err := tlscert.Generate(tlscert.Names(domain, "conference."+domain), time.Now())
	if err != nil {
		return nil, err
	}
	return tlscert.ServerConfig(cert), nil
}
