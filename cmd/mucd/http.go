package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/web"
)

// httpFlags are the flags of the web transports (package web), at
// Prosody's ports and paths: -http 127.0.0.1:5280 serves XMPP over
// WebSocket at /xmpp-websocket, BOSH at /http-bind and XEP-0156 host-meta;
// -https 127.0.0.1:5281 the same over TLS (wss://, https://) with the
// server's certificate.
type httpFlags struct {
	plain, secure string
}

func addHTTPFlags(fs *flag.FlagSet) *httpFlags {
	f := &httpFlags{}
	fs.StringVar(&f.plain, "http", "", "address for WebSocket (/xmpp-websocket), BOSH (/http-bind) and host-meta over HTTP, e.g. 127.0.0.1:5280 (empty: off)")
	fs.StringVar(&f.secure, "https", "", "the same over HTTPS with the STARTTLS certificate, e.g. 127.0.0.1:5281 (empty: off)")
	return f
}

// webListeners are the running HTTP servers of srv.HTTPHandler().
type webListeners struct {
	servers []*http.Server
	addrs   []net.Addr
	done    chan error
}

// startHTTP listens on the addresses f names and serves srv.HTTPHandler()
// (the web transports and every module's routes) there. It returns nil when both are off.
func startHTTP(f *httpFlags, srv *server.Server, log *slog.Logger) (*webListeners, error) {
	if f.plain == "" && f.secure == "" {
		return nil, nil
	}
	wl := &webListeners{done: make(chan error, 2)}
	listen := func(addr string, secure bool) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("listen http: %w", err)
		}
		hs := web.HTTPServer(srv.HTTPHandler(), nil)
		scheme := "http"
		if secure {
			tc := srv.TLSConfig()
			if tc == nil {
				_ = ln.Close()
				return errors.New("-https needs a certificate: it cannot be used with -no-tls")
			}
			hs = web.HTTPServer(srv.HTTPHandler(), tc)
			scheme = "https"
		}
		wl.servers = append(wl.servers, hs)
		wl.addrs = append(wl.addrs, ln.Addr())
		ws := "ws" + scheme[4:]
		log.Info("mucd: web transports", "websocket", ws+"://"+ln.Addr().String()+"/xmpp-websocket",
			"bosh", scheme+"://"+ln.Addr().String()+"/http-bind")
		go func() {
			var err error
			if secure {
				err = hs.ServeTLS(ln, "", "")
			} else {
				err = hs.Serve(ln)
			}
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			wl.done <- err
		}()
		return nil
	}
	if f.plain != "" {
		if err := listen(f.plain, false); err != nil {
			return nil, err
		}
	}
	if f.secure != "" {
		if err := listen(f.secure, true); err != nil {
			wl.shutdown()
			return nil, err
		}
	}
	return wl, nil
}

// shutdown stops the HTTP servers after the XMPP server has closed (which
// ended every WebSocket and BOSH session, answered held requests and
// waited for their handlers).
func (wl *webListeners) shutdown() {
	if wl == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, hs := range wl.servers {
		_ = hs.Shutdown(ctx)
	}
	for range wl.servers {
		<-wl.done
	}
}

// baseURL is where clients reach the HTTP surface, for the URLs modules
// hand out (upload slots): the HTTPS address when there is one, else the
// plain one; "" when both are off.
func (f *httpFlags) baseURL() string {
	switch {
	case f.secure != "":
		return "https://" + f.secure
	case f.plain != "":
		return "http://" + f.plain
	}
	return ""
}
