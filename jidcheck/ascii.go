package jidcheck

import (
	"strings"

	"mellium.im/xmpp/jid"
)

// parseASCII is the fast path of Parse, ParseStd and New: it parses the
// JIDs almost every client sends, whose parts are all in a subset of ASCII
// on which PRECIS (RFC 8264 profiles UsernameCaseMapped and OpaqueString)
// and IDNA (UTS #46 as mellium.im/xmpp/jid applies it) do nothing but
// lower-case A-Z, and it does that itself. ok is false for anything else,
// which then takes the full path; the fuzz target FuzzASCIIFastPath proves
// that whatever the fast path accepts, the full path accepts too and turns
// into the same JID. Running PRECIS and IDNA was 3% of the in-process
// server's CPU in the scansion corpus profile (issue 15).
//
// The subset:
//   - localpart: 1 to 1023 bytes of 0x21-0x7E but the characters RFC 7622
//     section 3.3.1 forbids ("&'/:<>@); IdentifierClass takes every other
//     printable ASCII character, and ASCII has no right-to-left character
//     for the bidi rule to look at;
//   - domainpart: 1 to 1023 bytes of LDH labels (letters, digits, hyphens
//     neither first nor last, nor in positions 3 and 4, which also leaves
//     out the "xn--" A-labels IDNA would decode), no empty label and no
//     trailing dot (which jid.Parse strips: left to the full path);
//   - resourcepart: absent, or 1 to 1023 bytes of 0x20-0x7E, which
//     OpaqueString keeps as they are (case included).
func parseASCII(local, domain, resource string, hasResource bool) (jid.JID, bool) {
	lowerLocal, ok := asciiLocal(local)
	if !ok {
		return jid.JID{}, false
	}
	lowerDomain, ok := asciiDomain(domain)
	if !ok || (hasResource && !asciiResource(resource)) {
		return jid.JID{}, false
	}
	if lowerLocal {
		local = strings.ToLower(local)
	}
	if lowerDomain {
		domain = strings.ToLower(domain)
	}
	return jid.NewUnsafe(local, domain, resource).JID, true
}

// splitASCII splits s as RFC 7622 section 3.1 does (jid.SplitString),
// reporting whether a '/' was there; ok is false where jid.SplitString
// would fail (an empty localpart before '@' or resourcepart after '/').
func splitASCII(s string) (local, domain, resource string, hasResource, ok bool) {
	rest, resource, hasResource := strings.Cut(s, "/")
	local, domain, hasLocal := strings.Cut(rest, "@")
	if !hasLocal {
		local, domain = "", rest
	} else if local == "" {
		return "", "", "", false, false
	}
	if hasResource && resource == "" {
		return "", "", "", false, false
	}
	return local, domain, resource, hasResource, true
}

// localForbidden marks the printable ASCII characters a localpart may not
// hold (RFC 7622 section 3.3.1); space and controls are not printable.
var localForbidden = [128]bool{'"': true, '&': true, '\'': true, '/': true, ':': true, '<': true, '>': true, '@': true}

// asciiLocal reports whether local is an empty localpart or one in the
// fast subset, and whether it has upper-case letters to lower.
func asciiLocal(local string) (upper, ok bool) {
	if len(local) > MaxPartBytes {
		return false, false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c <= ' ' || c >= 0x7F || localForbidden[c] {
			return false, false
		}
		if 'A' <= c && c <= 'Z' {
			upper = true
		}
	}
	return upper, true
}

// asciiDomain reports whether domain is in the fast subset (LDH labels),
// and whether it has upper-case letters to lower.
func asciiDomain(domain string) (upper, ok bool) {
	if domain == "" || len(domain) > MaxPartBytes {
		return false, false
	}
	start := 0
	for i := 0; i <= len(domain); i++ {
		if i < len(domain) && domain[i] != '.' {
			c := domain[i]
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-':
			case 'A' <= c && c <= 'Z':
				upper = true
			default:
				return false, false
			}
			continue
		}
		label := domain[start:i]
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' ||
			(len(label) >= 4 && label[2] == '-' && label[3] == '-') {
			return false, false
		}
		start = i + 1
	}
	return upper, true
}

// asciiResource reports whether resource is in the fast subset.
func asciiResource(resource string) bool {
	if resource == "" || len(resource) > MaxPartBytes {
		return false
	}
	for i := 0; i < len(resource); i++ {
		if c := resource[i]; c < ' ' || c >= 0x7F {
			return false
		}
	}
	return true
}
