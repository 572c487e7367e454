package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/muctest/muctest/server"
	"github.com/muctest/muctest/servertest"
)

// tinySettle replaces the default 3 s -settle: the at-rest reading is still
// taken (the code path runs), without three idle seconds per run.
var tinySettle = []string{"-settle", "1ms"}

func TestRun(t *testing.T) {
	srv := servertest.New(t, server.Config{AnyPassword: true, NoTLS: true})
	tests := []struct {
		name string
		args []string
		want int64 // deliveries
	}{
		{"in-process", []string{"-inprocess", "-occupants", "4", "-rooms", "2", "-messages", "3"}, 2 * 2 * 2 * 3},
		{"external", []string{"-server", srv.Addr().String(), "-occupants", "3", "-messages", "2"}, 3 * 3 * 2},
		{"pep in-process", []string{"-inprocess", "-pep", "-occupants", "4", "-messages", "3"}, 4 * 3},
		{"pep external", []string{"-server", srv.Addr().String(), "-pep", "-occupants", "3", "-messages", "5", "-rate", "1000"}, 3 * 5},
		{"paced", []string{"-server", srv.Addr().String(), "-occupants", "2", "-messages", "2", "-rate", "1000"}, 2 * 2 * 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs strings.Builder
			if err := run(append(append(tt.args, tinySettle...), "-json"), &out, &errs); err != nil {
				t.Fatalf("run: %v\n%s", err, errs.String())
			}
			var rep report
			if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
				t.Fatalf("output is not a JSON report: %v\n%s", err, out.String())
			}
			if !rep.OK || rep.Delivered != tt.want {
				t.Fatalf("OK %v, delivered %d, want %d: %s", rep.OK, rep.Delivered, tt.want, out.String())
			}
		})
	}
}

func TestRunText(t *testing.T) {
	var out, errs strings.Builder
	if err := run(append([]string{"-inprocess", "-occupants", "2", "-messages", "1"}, tinySettle...), &out, &errs); err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	for _, want := range []string{"delivered   4 of 4", "lost 0  duplicated 0  out-of-order 0", "go memory"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-rooms", "x"},
		{"-inprocess", "-rooms", "3", "-occupants", "2"},
		{"stray"},
		{"-server", "127.0.0.1:1", "-occupants", "1", "-timeout", "1s"},
	} {
		var out, errs strings.Builder
		if err := run(args, &out, &errs); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
