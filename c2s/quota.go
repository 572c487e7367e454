package c2s

import "github.com/muctest/muctest/c2sapi"

// BindRefused is the error a Host's Bind returns to refuse a resource
// binding with a stanza error instead of ending the stream. It lives in
// package c2sapi, so that the router returns it without importing c2s.
type BindRefused = c2sapi.BindRefused
