// Package jidcheck parses JIDs (RFC 7622) from the network into the form
// every part of the server keys its tables by, refusing the ones whose
// normalisation is not a fixed point.
//
// mellium.im/xmpp/jid applies PRECIS and IDNA mappings once. For a few
// inputs the mapped string normalises differently when parsed again:
// "x@a.." becomes "x@a." and then "x@a"; "ℵǵ" becomes "אǵ", which the
// bidi rule then refuses. The router writes the parsed form back into
// "to", and rosters, sessions and MUC affiliations are keyed by it, so a
// JID that moves on a second pass could let one user hold two keys or send
// stanzas where the first pass did not. Parse refuses such JIDs, as well as
// domainparts with empty labels. Both cases were found by fuzzing
// (server FuzzJIDStable, muc FuzzPrep).
//
// Most JIDs on the wire are plain ASCII, which PRECIS and IDNA leave as it
// is but for lower-casing A-Z. Parse, and ParseFast and NewFast (jid.Parse
// and jid.New to the letter, for the places that take what mellium takes),
// parse those without running either; FuzzASCIIFastPath proves the result
// the same as the full path's for every input the fast path accepts.
package jidcheck

import (
	"errors"
	"fmt"
	"strings"

	"mellium.im/xmpp/jid"
)

// MaxPartBytes is the longest localpart, domainpart or resourcepart RFC 7622
// section 3 allows, in bytes.
const MaxPartBytes = 1023

// ErrTooLong reports a JID part longer than MaxPartBytes before any
// normalisation.
var ErrTooLong = errors.New("jidcheck: JID part longer than 1023 bytes")

// CheckLength refuses a JID string with a part longer than MaxPartBytes,
// split as RFC 7622 section 3.1 splits it (the resourcepart after the first
// '/', the localpart before the first '@' of what precedes it). It looks at
// the bytes as received: PRECIS and IDNA cost time in proportion to the
// input (about 30 ms for 240 KB), and mellium.im/xmpp/jid checks the
// lengths only after them. Prosody's stringprep likewise refuses input of
// 1024 bytes or more before preparing it. Mapping could only shorten a part
// that fits here to one that also fits, so nothing valid is refused that
// the normalised check would accept, except a part that PRECIS would have
// shortened from over 1023 bytes, which no client needs.
func CheckLength(s string) error {
	rest, res, _ := strings.Cut(s, "/")
	local, domain, ok := strings.Cut(rest, "@")
	if !ok {
		local, domain = "", rest
	}
	if len(local) > MaxPartBytes || len(domain) > MaxPartBytes || len(res) > MaxPartBytes {
		return ErrTooLong
	}
	return nil
}

// ErrEmptyLabel reports a domainpart with an empty label (".", "a..b").
var ErrEmptyLabel = errors.New("jidcheck: domainpart has an empty label")

// ErrUnstable reports a JID whose normalised form parses to another JID.
var ErrUnstable = errors.New("jidcheck: JID does not normalise to a fixed point")

// Parse parses s with jid.Parse and checks that the result has no empty
// domain label and that its string form, and that of its bare JID, parse
// back to themselves. A part too long (CheckLength) is refused before any
// normalisation.
//
// JIDs in the ASCII subset parseASCII describes (most of what clients
// send) are parsed without PRECIS and IDNA, to the same result.
func Parse(s string) (jid.JID, error) {
	if local, domain, res, hasRes, ok := splitASCII(s); ok {
		if j, ok := parseASCII(local, domain, res, hasRes); ok {
			return j, nil
		}
	}
	return parseFull(s)
}

// parseFull is Parse without the fast path.
func parseFull(s string) (jid.JID, error) {
	if err := CheckLength(s); err != nil {
		return jid.JID{}, err
	}
	j, err := jid.Parse(s)
	if err != nil {
		return j, err
	}
	if err := checkDomain(j.Domainpart()); err != nil {
		return j, err
	}
	for _, form := range []string{j.String(), j.Bare().String()} {
		again, err := jid.Parse(form)
		if err != nil || again.String() != form {
			return j, fmt.Errorf("%w: %q", ErrUnstable, s)
		}
	}
	return j, nil
}

// ParseFast is jid.Parse (no jidcheck checks, for the places that take
// what mellium.im/xmpp/jid takes) with Parse's ASCII fast path: the same
// JID, or the same error, for every input, sooner for the common ones.
func ParseFast(s string) (jid.JID, error) {
	if local, domain, res, hasRes, ok := splitASCII(s); ok {
		if j, ok := parseASCII(local, domain, res, hasRes); ok {
			return j, nil
		}
	}
	return jid.Parse(s)
}

// NewFast is jid.New with Parse's ASCII fast path: the same JID, or the
// same error, for every input. An empty resource means none, as for jid.New.
func NewFast(local, domain, resource string) (jid.JID, error) {
	if j, ok := parseASCII(local, domain, resource, resource != ""); ok {
		return j, nil
	}
	return jid.New(local, domain, resource)
}

func checkDomain(d string) error {
	if strings.HasPrefix(d, "[") {
		return nil // an IP-literal
	}
	if d == "" || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") || strings.Contains(d, "..") {
		return ErrEmptyLabel
	}
	return nil
}

// MapNothing removes the characters stringprep's table B.1 (RFC 3454)
// maps to nothing: soft hyphen, zero-width joiners, variation selectors and
// the like. PRECIS (RFC 7622) refuses them where the stringprep profiles of
// RFC 6122, and so Prosody, silently dropped them; clients still send them
// (an emoji followed by U+FE0F in a nickname), so the router and the MUC
// map them away before parsing, as Prosody does.
func MapNothing(s string) string {
	if !strings.ContainsFunc(s, mappedToNothing) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if mappedToNothing(r) {
			return -1
		}
		return r
	}, s)
}

func mappedToNothing(r rune) bool {
	switch {
	case r == 0x00AD, r == 0x034F, r == 0x1806, r >= 0x180B && r <= 0x180D,
		r >= 0x200B && r <= 0x200D, r == 0x2060, r >= 0xFE00 && r <= 0xFE0F, r == 0xFEFF:
		return true
	}
	return false
}
