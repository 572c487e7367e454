// Package intern holds fixed tables of strings looked up by their bytes:
// the element names and namespace URIs of everyday XMPP stanzas (RFC 6120,
// RFC 6121 and the XEPs a server sees daily), which the XML parsers share
// instead of allocating a copy per element.
//
// A Table is built once and only read after, so it is safe for concurrent
// use. It is an open-addressing hash table over a hash of the length and a
// few bytes of the key: a lookup costs one short hash and, mostly, one
// comparison, where a Go map hashes every byte of the key and walks its
// groups; parsers look a name up for every element and attribute they
// read, and the map lookups were a fifth of the parser's time.
package intern

// Table is a fixed set of strings.
type Table struct {
	slots []string // "" is an empty slot
	mask  uint32
}

// New returns a table of the given strings (the empty string and
// duplicates are ignored).
func New(strs ...string) *Table {
	size := 16
	for size < 4*len(strs) { // a quarter full: probes are short, misses too
		size *= 2
	}
	t := &Table{slots: make([]string, size), mask: uint32(size - 1)}
	for _, s := range strs {
		if s == "" {
			continue
		}
		i := hash(s) & t.mask
		for t.slots[i] != "" && t.slots[i] != s {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
	return t
}

// Lookup returns the table's copy of b, if it holds one. It does not
// allocate.
func (t *Table) Lookup(b []byte) (string, bool) {
	return lookup(t, b)
}

// LookupString is Lookup for a string key.
func (t *Table) LookupString(s string) (string, bool) {
	return lookup(t, s)
}

func lookup[K []byte | string](t *Table, k K) (string, bool) {
	for i := hash(k) & t.mask; ; i = (i + 1) & t.mask {
		s := t.slots[i]
		if s == "" {
			return "", false
		}
		if s == string(k) {
			return s, true
		}
	}
}

// hash mixes the length and the first and last four bytes of k (all of a
// shorter key's): names and URIs that share a prefix differ at the end or
// in length.
func hash[K []byte | string](k K) uint32 {
	n := len(k)
	h := uint32(n) * 0x9e3779b1
	if n >= 4 {
		h ^= uint32(k[0]) | uint32(k[1])<<8 | uint32(k[2])<<16 | uint32(k[3])<<24
		h *= 0x85ebca6b
		h ^= uint32(k[n-4]) | uint32(k[n-3])<<8 | uint32(k[n-2])<<16 | uint32(k[n-1])<<24
	} else {
		for i := range n {
			h ^= uint32(k[i]) << (8 * i)
		}
	}
	h *= 0xc2b2ae35
	return h ^ h>>16
}
