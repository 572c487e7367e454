package main

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/muctest/muctest/quota"
)

// TestQuotaFlags: every quota.Limits field has a -quota-* flag, and the
// flags set the fields.
func TestQuotaFlags(t *testing.T) {
	fs := flag.NewFlagSet("mucd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := addQuotaFlags(fs)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if strings.HasPrefix(f.Name, "quota-") {
			n++
		}
	})
	if want := reflect.TypeOf(quota.Limits{}).NumField(); n != want {
		t.Errorf("%d -quota-* flags for %d quota.Limits fields", n, want)
	}
	if err := fs.Parse([]string{"-quota-roster-items", "5", "-quota-resources", "-1", "-quota-archive-bytes", "100"}); err != nil {
		t.Fatal(err)
	}
	if l.RosterItems != 5 || l.Resources != -1 || l.ArchiveBytes != 100 || l.OfflineMessages != 0 {
		t.Errorf("flags parsed into %+v", *l)
	}
}
