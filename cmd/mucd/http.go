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

// webListeners are the HTTP listeners of the -http and -https flags and,
// once serve has run, their servers of srv.HTTPHandler().
type webListeners struct {
	plain, secure net.Listener // nil when the flag is off
	flags         *httpFlags
	servers       []*http.Server
	addrs         []net.Addr
	done          chan error
}

// listenHTTP opens the listeners f names, before the server is built, so
// that the URLs modules hand out (upload slots) name the port actually
// bound: "-http 127.0.0.1:0" picks one. It returns nil when both are off.
func listenHTTP(f *httpFlags) (*webListeners, error) {
	if f.plain == "" && f.secure == "" {
		return nil, nil
	}
	wl := &webListeners{done: make(chan error, 2), flags: f}
	for _, l := range []struct {
		addr string
		ln   *net.Listener
	}{{f.plain, &wl.plain}, {f.secure, &wl.secure}} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			wl.close()
			return nil, fmt.Errorf("listen http: %w", err)
		}
		*l.ln = ln
	}
	return wl, nil
}

// close closes listeners serve has not taken over.
func (wl *webListeners) close() {
	if wl == nil {
		return
	}
	for _, ln := range []net.Listener{wl.plain, wl.secure} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// baseURL is where clients reach the HTTP surface, for the URLs modules
// hand out: the HTTPS listener when there is one, else the plain one; ""
// when both are off. The host is the one the flag names, the port the one
// bound; a listener on every interface (":5280", "0.0.0.0:5280") is named
// by the XMPP domain, as in Prosody's default http_external_url.
func (wl *webListeners) baseURL(domain string) string {
	if wl == nil {
		return ""
	}
	scheme, ln, flag := "https", wl.secure, wl.flags.secure
	if ln == nil {
		scheme, ln, flag = "http", wl.plain, wl.flags.plain
	}
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return ""
	}
	host, _, err := net.SplitHostPort(flag)
	if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
		host = domain
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// serve serves srv.HTTPHandler() (the web transports and every module's
// routes) on the listeners of listenHTTP.
func (wl *webListeners) serve(srv *server.Server, log *slog.Logger) error {
	if wl == nil {
		return nil
	}
	if wl.secure != nil && srv.TLSConfig() == nil {
		wl.close()
		return errors.New("-https needs a certificate: it cannot be used with -no-tls")
	}
	for _, l := range []struct {
		ln     net.Listener
		secure bool
	}{{wl.plain, false}, {wl.secure, true}} {
		if l.ln == nil {
			continue
		}
		// The XMPP listener's connection caps, for HTTP too: a flood of
		// upgrades is refused before any is read.
		ln := srv.LimitHTTPListener(l.ln)
		hs := web.HTTPServer(srv.HTTPHandler(), nil)
		scheme := "http"
		if l.secure {
			hs = web.HTTPServer(srv.HTTPHandler(), srv.TLSConfig())
			scheme = "https"
		}
		wl.servers = append(wl.servers, hs)
		wl.addrs = append(wl.addrs, ln.Addr())
		ws := "ws" + scheme[4:]
		log.Info("mucd: web transports", "websocket", ws+"://"+ln.Addr().String()+"/xmpp-websocket",
			"bosh", scheme+"://"+ln.Addr().String()+"/http-bind")
		go func(secure bool) {
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
		}(l.secure)
	}
	return nil
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
