package fanout

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

func TestPEPScanner(t *testing.T) {
	note := func(sender, seq int) string {
		return fmt.Sprintf("<message type='headline'><event><items node='n'><item id='current'><x>#mb:%d:%d:0#</x></item></items></event></message>", sender, seq)
	}
	tests := []struct {
		name                             string
		stream                           string
		delivered, dup, ooo, errs, bogus int64
		fin                              bool
	}{
		{name: "in order", stream: note(0, 0) + note(0, 1) + note(0, 2), delivered: 2, fin: true},
		{name: "duplicate", stream: note(0, 1) + note(0, 1), delivered: 1, dup: 1},
		{name: "out of order", stream: note(0, 1) + note(0, 0), delivered: 2, ooo: 1},
		{name: "duplicate fin", stream: note(0, 2) + note(0, 2), dup: 1, fin: true},
		{name: "warm-up ignored", stream: "<x>#mbw#</x>" + note(0, 0), delivered: 1},
		{name: "error", stream: "<iq type='error'><error type='cancel'/></iq>", errs: 1},
		{name: "bogus", stream: note(1, 0) + note(0, 3) + "#mb:x#", bogus: 3},
	}
	for _, tt := range tests {
		for cut := 0; cut <= len(tt.stream); cut++ {
			b := &PEPBench{cfg: PEPConfig{Items: 2}, epoch: time.Now()}
			p := &pepClient{sequence: newSequence(b.cfg.Items)}
			data := []byte(tt.stream[:cut])
			keep := p.process(b, data, time.Now())
			data = append(data[keep:], tt.stream[cut:]...)
			p.process(b, data, time.Now())
			got := []int64{p.delivered, p.dup, p.ooo, p.errs, p.bogus}
			want := []int64{tt.delivered, tt.dup, tt.ooo, tt.errs, tt.bogus}
			if fmt.Sprint(got) != fmt.Sprint(want) || p.fin != tt.fin {
				t.Fatalf("%s, split at %d: delivered, dup, ooo, errs, bogus = %v fin %v, want %v fin %v", tt.name, cut, got, p.fin, want, tt.fin)
			}
		}
	}
}

func TestPEPRun(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoTLS: true, MaxConnsPerIP: -1})
	b, err := SetupPEP(context.Background(), PEPConfig{Addr: srv.Addr().String(), Contacts: 5, Items: 7, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Delivered != 5*7 || res.Sent != 7 {
		t.Fatalf("result %+v, want 35 deliveries of 7 items, no faults", res)
	}
	if _, err := b.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("second Run: %v", err)
	}
}

func TestPEPConfigErrors(t *testing.T) {
	for _, cfg := range []PEPConfig{{Contacts: 0, Items: 1}, {Contacts: 1, Items: 0}, {Contacts: MaxDeliveries, Items: 2}} {
		if _, err := SetupPEP(context.Background(), cfg); err == nil {
			t.Errorf("SetupPEP(%+v) succeeded", cfg)
		}
	}
}
