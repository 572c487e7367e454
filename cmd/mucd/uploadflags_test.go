package main

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/muctest/muctest/upload"
)

// TestUploadRateFlags checks -upload-rate and -upload-rate-per-ip: burst
// and interval parsed into upload.Config, zero parts left to the
// defaults, a negative burst kept (no limit), and nonsense refused.
func TestUploadRateFlags(t *testing.T) {
	tests := []struct {
		args       []string
		acct, addr upload.RateLimit
		bad        bool
	}{
		{nil, upload.RateLimit{}, upload.RateLimit{}, false},
		{[]string{"-upload-rate", "10/5s"}, upload.RateLimit{Burst: 10, Every: 5 * time.Second}, upload.RateLimit{}, false},
		{[]string{"-upload-rate-per-ip", "50"}, upload.RateLimit{}, upload.RateLimit{Burst: 50}, false},
		{[]string{"-upload-rate", "/1m"}, upload.RateLimit{Every: time.Minute}, upload.RateLimit{}, false},
		{[]string{"-upload-rate", "-1", "-upload-rate-per-ip", "-1"}, upload.RateLimit{Burst: -1}, upload.RateLimit{Burst: -1}, false},
		{[]string{"-upload-rate", "ten/1s"}, upload.RateLimit{}, upload.RateLimit{}, true},
		{[]string{"-upload-rate", "10/soon"}, upload.RateLimit{}, upload.RateLimit{}, true},
		{[]string{"-upload-rate", "10/-1s"}, upload.RateLimit{}, upload.RateLimit{}, true},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("mucd", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var cfg upload.Config
		addUploadRateFlags(fs, &cfg)
		err := fs.Parse(tc.args)
		if tc.bad {
			if err == nil {
				t.Errorf("%v: accepted", tc.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if cfg.RequestLimit != tc.acct || cfg.AddrRequestLimit != tc.addr {
			t.Errorf("%v: got %+v and %+v, want %+v and %+v", tc.args, cfg.RequestLimit, cfg.AddrRequestLimit, tc.acct, tc.addr)
		}
	}
}
