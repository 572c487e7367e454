package main

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	in := `{"scenario":"burst","report":{"Label":"muctest","PerSecond":100000,"Delivered":1000,"P50":2000000,"P99":4000000,"ServerCPU":10000000,"BytesPerOccupant":20480,"BytesPerOccupantRest":8192,"Cores":2}}
{"scenario":"burst","report":{"Label":"prosody","PerSecond":10000,"Delivered":1000,"P50":20000000,"P99":40000000,"ServerCPU":100000000,"BytesPerOccupant":10240,"BytesPerOccupantRest":16384,"Cores":2}}
{"scenario":"burst","report":{"Label":"ejabberd","error":"connection refused"}}
{"scenario":"burst","report":{"Label":"prosody","PerSecond":5000,"Delivered":1000,"BytesPerOccupant":99999,"Cores":2}}
{"scenario":"pep burst","report":{"Label":"muctest","kind":"pep","PerSecond":50000,"Delivered":2000,"Cores":2}}
{"scenario":"pep burst","report":{"Label":"prosody","kind":"pep","PerSecond":1000,"Delivered":2000,"Cores":2}}
{"suite":{"label":"muctest in-process","seconds":0.1,"passed":36,"failed":0,"runs":5}}
{"suite":{"label":"prosody","seconds":10,"passed":33,"failed":3,"runs":1}}
`
	var out strings.Builder
	if err := run(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"machine: 2 cores",
		"10.0x",       // throughput and latency ratios against prosody
		"FAILED",      // ejabberd's failed run
		"0.5x",        // memory just joined: prosody's half of ours
		"2.0x",        // memory at rest: prosody's twice ours
		"100x slower", // the suite
		"PEP (XEP-0163)",
		"notifications/s",
		"50.0x", // PEP throughput against prosody
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadInput(t *testing.T) {
	if err := run(strings.NewReader("not json\n"), &strings.Builder{}); err == nil {
		t.Fatal("no error for a malformed line")
	}
}
