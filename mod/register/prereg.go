package register

import "github.com/muctest/muctest/module"

func (s *mod) registerPreAuth(r *module.Registrar) {}
