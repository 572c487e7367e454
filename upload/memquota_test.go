package upload

import "testing"

// TestDefaultTotalQuota checks that a service keeping its files in memory
// defaults to the smaller total, since its files are heap the server holds,
// and one keeping them on disk to the larger.
func TestDefaultTotalQuota(t *testing.T) {
	for _, tc := range []struct {
		name string
		dir  string
		want int64
	}{
		{"memory", "", DefaultMemoryQuota},
		{"disk", t.TempDir(), DefaultTotalQuota},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Domain: "upload.localhost", BaseURL: "http://127.0.0.1:5280", Dir: tc.dir})
			if err != nil {
				t.Fatal(err)
			}
			if s.cfg.TotalQuota != tc.want {
				t.Fatalf("TotalQuota %d, want %d", s.cfg.TotalQuota, tc.want)
			}
		})
	}
}
