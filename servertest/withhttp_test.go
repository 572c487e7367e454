package servertest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// TestNewWithHTTP: the upload slot URLs the server hands out point at the
// HTTP server NewWithHTTP started, and a PUT there can be fetched back.
func TestNewWithHTTP(t *testing.T) {
	srv, h := servertest.NewWithHTTP(t, server.Config{AnyPassword: true})
	r := servertest.DialRaw(t, srv).Login("alice", "pw", "up")
	r.Send(`<iq type='get' id='s1' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='a.txt' size='5' content-type='text/plain'/></iq>`)
	res := r.Next()
	slot := res.Child("urn:xmpp:http:upload:0", "slot")
	if res.Attrib("type") != "result" || slot == nil {
		t.Fatalf("slot request: %s", res)
	}
	put, get := slot.Child("urn:xmpp:http:upload:0", "put"), slot.Child("urn:xmpp:http:upload:0", "get")
	if !strings.HasPrefix(put.Attrib("url"), h.URL+"/") || !strings.HasPrefix(get.Attrib("url"), h.URL+"/") {
		t.Fatalf("slot URLs %s, %s are not under %s", put.Attrib("url"), get.Attrib("url"), h.URL)
	}
	req, _ := http.NewRequest(http.MethodPut, put.Attrib("url"), strings.NewReader("hello"))
	req.Header.Set("Content-Type", "text/plain")
	for _, hd := range put.ChildrenNamed("urn:xmpp:http:upload:0", "header") {
		req.Header.Set(hd.Attrib("name"), hd.Text())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %s", resp.Status)
	}
	resp, err = http.Get(get.Attrib("url"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "hello" {
		t.Fatalf("GET: %s %q", resp.Status, body)
	}
	r.Close()
}
