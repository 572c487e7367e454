package external

import (
	"bytes"
	"strings"
	"testing"

	"github.com/muctest/muctest/xmlnode"
)

// FuzzHandshake feeds arbitrary bytes to the server side of the XEP-0114
// opening. It must never panic, must answer every failure with a stream
// error it can name (or a plain end of input), and must accept only the
// configured domain with the right digest.
func FuzzHandshake(f *testing.F) {
	const id = "fuzzid"
	header := strings.Replace(componentHeader, "%s", botDomain, 1)
	f.Add([]byte(header + "<handshake>" + Digest(id, botSecret) + "</handshake>"))
	f.Add([]byte(header + "<handshake>" + strings.ToUpper(Digest(id, botSecret)) + "</handshake>"))
	f.Add([]byte(header + "<handshake>" + Digest(id, "wrong") + "</handshake>"))
	f.Add([]byte(header + "<handshake/>"))
	f.Add([]byte(header + "<handshake xmlns='jabber:client'>" + Digest(id, botSecret) + "</handshake>"))
	f.Add([]byte(strings.Replace(componentHeader, "%s", "BOT.localhost", 1) + "<handshake>" + Digest(id, botSecret) + "</handshake>"))
	f.Add([]byte("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='bot.localhost'>"))
	f.Add([]byte("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'>"))
	f.Add([]byte(header + "<!-- c --><handshake/>"))
	f.Add([]byte(header + "junk<handshake/>"))
	f.Add([]byte(header + "<p:handshake xmlns:p='jabber:component:accept'>x</p:handshake>"))
	f.Add([]byte("<?php ?>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newReader(bytes.NewReader(data), 4096, xmlnode.Limits{MaxDepth: 8, MaxAttrs: 16})
		var out bytes.Buffer
		domain, err := negotiate(r, &out, id, func(d string) (string, bool) {
			if d == botDomain {
				return botSecret, true
			}
			return "", false
		})
		if err != nil {
			if se := asStreamError(err); se != nil {
				if !bytes.HasSuffix(errorBytes(se, true), []byte("</stream:stream>")) {
					t.Fatalf("stream error %v is not written as one", se)
				}
			}
			return
		}
		if domain != botDomain {
			t.Fatalf("accepted domain %q", domain)
		}
		if !bytes.Contains(bytes.ToLower(data), []byte(Digest(id, botSecret))) {
			t.Fatalf("accepted a handshake without the digest: %q", data)
		}
		if !bytes.Contains(out.Bytes(), []byte("id='"+id+"'")) {
			t.Fatalf("the server's header lacks the stream id: %q", out.Bytes())
		}
	})
}
