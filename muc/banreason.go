package muc

import "strings"

// MaxBanReasonBytes bounds the reason a room keeps for one ban; a longer
// one is cut (at a character boundary), since the room holds it for as
// long as the ban lasts.
const MaxBanReasonBytes = 1024

// keepBanReason records why target was banned, or forgets it when its
// affiliation is no longer outcast. Prosody trunk keeps the reason with
// the affiliation and returns it in the outcast list (XEP-0045 section
// 9.2, example 120), so that the admins who read the list later know why.
func (r *room) keepBanReason(target string, aff affiliation, reason string) {
	if aff != affOutcast || reason == "" {
		delete(r.banReasons, target)
		return
	}
	if len(reason) > MaxBanReasonBytes {
		reason = strings.ToValidUTF8(reason[:MaxBanReasonBytes], "")
	}
	if r.banReasons == nil {
		r.banReasons = map[string]string{}
	}
	r.banReasons[target] = reason
}
