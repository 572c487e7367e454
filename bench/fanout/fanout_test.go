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

// scanBench is a Bench with three occupants in one room and two messages
// each, enough to drive process/record without a network.
func scanBench() (*Bench, *occupant) {
	b := &Bench{cfg: Config{Messages: 2}, epoch: time.Now()}
	for i := 0; i < 3; i++ {
		b.occ = append(b.occ, &occupant{idx: i, local: i, need: 3})
	}
	o := b.occ[0]
	o.from = make([]sequence, 3)
	for i := range o.from {
		o.from[i] = newSequence(b.cfg.Messages)
	}
	return b, o
}

func TestScanner(t *testing.T) {
	msg := func(sender, seq int) string {
		return fmt.Sprintf("<message from='r@c/o%d' type='groupchat'><body>#mb:%d:%d:0#</body></message>", sender, sender, seq)
	}
	tests := []struct {
		name                             string
		stream                           string
		delivered, dup, ooo, errs, bogus int64
		fins                             int
	}{
		{name: "in order", stream: msg(0, 0) + msg(1, 0) + msg(0, 1) + msg(1, 1), delivered: 4},
		{name: "duplicate", stream: msg(0, 0) + msg(0, 0), delivered: 1, dup: 1},
		{name: "out of order", stream: msg(2, 1) + msg(2, 0), delivered: 2, ooo: 1},
		{name: "fins", stream: msg(0, 2) + msg(1, 2) + msg(2, 2), fins: 3},
		{name: "duplicate fin", stream: msg(0, 2) + msg(0, 2) + msg(1, 2), fins: 2, dup: 1},
		{name: "error stanza", stream: "<message type='error'><error type='cancel'/></message>" + msg(0, 0), delivered: 1, errs: 1},
		{name: "bogus sequence", stream: msg(0, 7) + "#mb:x:1:0#" + "#mb:9:0:0#", bogus: 3},
		{name: "other stanzas", stream: "<presence/><message><body>#m b</body></message>" + msg(1, 0), delivered: 1},
	}
	for _, tt := range tests {
		// Every split of the stream into two reads must give the same
		// counts: markers and <error cut across reads are kept.
		for cut := 0; cut <= len(tt.stream); cut++ {
			b, o := scanBench()
			feed(b, o, tt.stream[:cut], tt.stream[cut:])
			got := []int64{o.delivered, o.dup, o.ooo, o.errs, o.bogus, int64(o.fins)}
			want := []int64{tt.delivered, tt.dup, tt.ooo, tt.errs, tt.bogus, int64(tt.fins)}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s, split at %d: delivered, dup, ooo, errs, bogus, fins = %v, want %v", tt.name, cut, got, want)
			}
		}
	}
}

// feed runs chunks through process the way scan does.
func feed(b *Bench, o *occupant, chunks ...string) {
	var buf []byte
	for _, c := range chunks {
		buf = append(buf, c...)
		keep := o.process(b, buf, time.Now())
		buf = append(buf[:0], buf[keep:]...)
	}
}

func FuzzScanner(f *testing.F) {
	f.Add("<message><body>#mb:1:0:5#</body></message>", 3)
	f.Add("#mb:#mb:0:1:#<error", 1)
	f.Add("#mb:99999999999999999999:0:0#", 10)
	f.Fuzz(func(t *testing.T, stream string, cut int) {
		b, o := scanBench()
		if cut < 0 || cut > len(stream) {
			cut = len(stream) / 2
		}
		feed(b, o, stream[:cut], stream[cut:])
		if o.delivered > int64(strings.Count(stream, "#mb:")) {
			t.Fatalf("more deliveries (%d) than markers", o.delivered)
		}
	})
}

func TestCutInt(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		rest string
		ok   bool
	}{
		{"12:34", 12, "34", true},
		{"7", 7, "", true},
		{"", 0, "", false},
		{":1", 0, "", false},
		{"1a:2", 0, "", false},
		{"99999999999999999999999", 0, "", false},
	}
	for _, tt := range tests {
		n, rest, ok := cutInt([]byte(tt.in))
		if n != tt.n || string(rest) != tt.rest || ok != tt.ok {
			t.Errorf("cutInt(%q) = %d, %q, %v; want %d, %q, %v", tt.in, n, rest, ok, tt.n, tt.rest, tt.ok)
		}
	}
}

// TestRunInProcess drives a small run end to end through muctest's server.
func TestRunInProcess(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoTLS: true})
	for _, tc := range []struct {
		rooms, occupants, messages int
		config                     []Field
	}{
		{1, 3, 4, nil},
		{2, 5, 3, nil},
		{1, 2, 2, []Field{{"muc#roomconfig_enablearchiving", "0"}, {"muc#roomconfig_roomname", "bench <&'>"}}},
	} {
		t.Run(fmt.Sprintf("%d/%d/%d/%d", tc.rooms, tc.occupants, tc.messages, len(tc.config)), func(t *testing.T) {
			ctx := context.Background()
			b, err := Setup(ctx, Config{Addr: srv.Addr().String(), Rooms: tc.rooms, Occupants: tc.occupants,
				Messages: tc.messages, Timeout: 20 * time.Second, RoomConfig: tc.config})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			res, err := b.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK() {
				t.Fatalf("faulty run: %+v", res)
			}
			if want := deliveries(b.cfg); res.Delivered != want {
				t.Fatalf("delivered %d, want %d", res.Delivered, want)
			}
		})
	}
}

func TestSetupRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Rooms: 0, Occupants: 1, Messages: 1},
		{Rooms: 2, Occupants: 1, Messages: 1},
		{Rooms: 1, Occupants: 1, Messages: 0},
		{Rooms: 1, Occupants: 10000, Messages: 1000},
	} {
		if _, err := Setup(context.Background(), cfg); err == nil {
			t.Errorf("Setup(%+v) succeeded", cfg)
		}
	}
}

func TestSetupRefusesRequiredTLS(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, RequireTLS: true})
	_, err := Setup(context.Background(), Config{Addr: srv.Addr().String(), Rooms: 1, Occupants: 1, Messages: 1, Timeout: 5 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Setup against a TLS-only server: %v, want a STARTTLS error", err)
	}
}
