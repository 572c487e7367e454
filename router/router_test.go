package router_test

import (
	"encoding/xml"

	"github.com/muctest/muctest/module"
	"github.com/muctest/muctest/router"
)

func newRouter(mods ...module.Module) (*router.Router, error) {
	return router.New(router.Config{Domain: "localhost", AnyPassword: true, Modules: mods})
}

func xmlName(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }
