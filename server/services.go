package server

import (
	"github.com/muctest/muctest/extdisco"
	"github.com/muctest/muctest/mod/contactinfo"
	extdiscomod "github.com/muctest/muctest/mod/extdisco"
	uploadmod "github.com/muctest/muctest/mod/upload"
	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/upload"
)

// Services configures the services of the default set that need settings
// of their own. The zero value mounts XEP-0363 upload at upload.<domain>
// with mod_http_file_share's defaults and nothing else.
type Services struct {
	// HTTPBaseURL is where clients reach Server.HTTPHandler
	// ("http://127.0.0.1:5280"): upload slots point there. Empty means
	// "http://<domain>:5280", Prosody's HTTP port.
	HTTPBaseURL string
	// Upload configures XEP-0363 (Domain, BaseURL and UserDomain are
	// filled in when empty); NoUpload leaves the upload service out.
	Upload   upload.Config
	NoUpload bool
	// ContactInfo lists XEP-0157 addresses by kind ("admin", "abuse"...,
	// see contactinfo.Kinds); nil publishes no form.
	ContactInfo map[string][]string
	// ExternalServices are the XEP-0215 services; nil answers no
	// extdisco request.
	ExternalServices *extdisco.Config
}

// serviceModules returns the modules Config.Services asks for, after the
// default set (by name, so Without can leave any of them out too).
func (s *Server) serviceModules() []module.Module {
	sv := s.cfg.Services
	var mods []module.Module
	if !sv.NoUpload {
		uc := sv.Upload
		if uc.BaseURL == "" {
			uc.BaseURL = sv.HTTPBaseURL
		}
		mods = append(mods, uploadmod.Module{Config: uc})
	}
	if sv.ContactInfo != nil {
		mods = append(mods, contactinfo.Module{Addresses: sv.ContactInfo})
	}
	if sv.ExternalServices != nil {
		mods = append(mods, extdiscomod.Module{Config: *sv.ExternalServices})
	}
	return mods
}
