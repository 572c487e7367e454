package pubsub

// ItemsLimit returns the most items a node of the service keeps
// (ServiceConfig.MaxItemsLimit, what max_items "max" means), so that a
// caller publishing many items at once (a XEP-0048 bookmarks save turned
// into XEP-0402 items) can skip those the node would drop at once.
func (s *Service) ItemsLimit() int { return s.cfg.MaxItemsLimit }
