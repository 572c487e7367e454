// Package upload mounts XEP-0363 HTTP File Upload as a component at
// upload.<domain>, as Prosody's mod_http_file_share does: slot requests
// over XMPP are answered by package upload's Service, and its PUT and GET
// handler is added to the server's HTTP surface (Server.HTTPHandler).
package upload

import (
	"strconv"
	"strings"

	"github.com/muctest/muctest/component"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/stanzaerr"
	"github.com/muctest/muctest/upload"
	"github.com/muctest/muctest/web"
	"github.com/muctest/muctest/xmlnode"
)

// Namespaces the component answers besides XEP-0363's.
const (
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsDiscoItems = "http://jabber.org/protocol/disco#items"
	nsData       = "jabber:x:data"
)

// Module is the upload component; its Name is "upload". Config is passed
// to upload.New; Config.Domain defaults to "upload.<domain>",
// Config.UserDomain to the server's domain and Config.BaseURL to
// "http://<domain>:5280", Prosody's HTTP port.
type Module struct {
	Config upload.Config
}

// Name implements module.Module.
func (Module) Name() string { return "upload" }

// Register implements module.Module.
func (m Module) Register(r *module.Registrar) error {
	cfg := m.Config
	if cfg.Domain == "" {
		cfg.Domain = "upload." + r.Domain()
	}
	if cfg.UserDomain == "" {
		cfg.UserDomain = r.Domain()
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + r.Domain() + ":5280"
	}
	svc, err := upload.New(cfg)
	if err != nil {
		return err
	}
	r.Component(cfg.Domain, &service{svc: svc, domain: cfg.Domain, router: r.Router()})
	web.Handle(r, svc.Path(), svc.Handler())
	return nil
}

// service is the component: it answers slot requests and disco.
type service struct {
	svc    *upload.Service
	domain string
	router component.Router
}

// HandleStanza implements component.Handler, for stanzas of no client
// connection.
func (c *service) HandleStanza(st *xmlnode.Element) { c.HandleStanzaFrom(st, component.Origin{}) }

// HandleStanzaFrom implements component.OriginHandler: a slot request
// counts against its client address's request rate as well as its
// account's (upload.Config.AddrRequestLimit).
func (c *service) HandleStanzaFrom(st *xmlnode.Element, o component.Origin) {
	if st.Name.Local != "iq" {
		if t := st.Attrib("type"); t != "error" && st.Name.Local == "message" {
			c.router.Route(stanzaerr.Reply(st, "cancel", "service-unavailable", "", ""))
		}
		return
	}
	typ := st.Attrib("type")
	if typ != "get" && typ != "set" {
		return
	}
	els := st.Elements()
	if len(els) != 1 {
		c.router.Route(stanzaerr.Reply(st, "modify", "bad-request", "", ""))
		return
	}
	q := els[0]
	switch {
	case typ == "get" && q.Name.Space == upload.NS && q.Name.Local == "request":
		bare := st.Attrib("from")
		if i := strings.IndexByte(bare, '/'); i >= 0 {
			bare = bare[:i]
		}
		slot, err := c.svc.RequestFrom(bare, o.Addr, q)
		if err != nil {
			e, ok := err.(*upload.Error)
			if !ok {
				c.router.Route(stanzaerr.Reply(st, "wait", "internal-server-error", "", ""))
				return
			}
			reply := stanzaerr.Reply(st, e.Type, e.Condition, e.Text, "")
			e.Append(reply.Child(stanzaerr.NSClient, "error"))
			c.router.Route(reply)
			return
		}
		c.router.Route(result(st).Append(slot))
	case typ == "get" && q.Name.Space == nsDiscoInfo && q.Name.Local == "query" && q.Attrib("node") == "":
		res := result(st)
		info := res.AddChild(nsDiscoInfo, "query")
		info.AddChild(nsDiscoInfo, "identity", "category", "store", "type", "file", "name", "HTTP File Upload")
		info.AddChild(nsDiscoInfo, "feature", "var", nsDiscoInfo)
		info.AddChild(nsDiscoInfo, "feature", "var", upload.NS)
		x := info.AddChild(nsData, "x", "type", "result")
		x.AddChild(nsData, "field", "type", "hidden", "var", "FORM_TYPE").AddChild(nsData, "value").SetText(upload.NS)
		x.AddChild(nsData, "field", "var", "max-file-size").AddChild(nsData, "value").SetText(strconv.FormatInt(c.svc.MaxFileSize(), 10))
		c.router.Route(res)
	case typ == "get" && q.Name.Space == nsDiscoItems && q.Name.Local == "query" && q.Attrib("node") == "":
		res := result(st)
		res.AddChild(nsDiscoItems, "query")
		c.router.Route(res)
	case q.Name.Space == nsDiscoInfo || q.Name.Space == nsDiscoItems:
		c.router.Route(stanzaerr.Reply(st, "cancel", "item-not-found", "", ""))
	default:
		c.router.Route(stanzaerr.Reply(st, "cancel", "service-unavailable", "", ""))
	}
}

func result(iq *xmlnode.Element) *xmlnode.Element {
	r := xmlnode.New(stanzaerr.NSClient, "iq", "type", "result")
	if v := iq.Attrib("to"); v != "" {
		r.SetAttr("from", v)
	}
	if v := iq.Attrib("from"); v != "" {
		r.SetAttr("to", v)
	}
	if v := iq.Attrib("id"); v != "" {
		r.SetAttr("id", v)
	}
	return r
}
