package c2s

import "fmt"

// BindRefused is the error a Host's Bind returns to refuse a resource
// binding with a stanza error instead of ending the stream (RFC 6120
// section 7.6.2: resource-constraint when the account has bound as many
// resources as it may, not-allowed when the resource is refused). The
// session stays authenticated and unbound, and may try again.
type BindRefused struct {
	Type, Condition, Text string
}

func (e *BindRefused) Error() string {
	return fmt.Sprintf("c2s: bind refused: %s/%s %s", e.Type, e.Condition, e.Text)
}
