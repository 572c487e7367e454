package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/muctest/muctest/upload"
)

// rateFlag is a flag for an upload.RateLimit written "burst/every"
// ("30/2s"): burst requests at once, then one more every interval. "0"
// (or an empty part) takes the default, a negative burst lifts the limit.
type rateFlag struct{ l *upload.RateLimit }

func (f rateFlag) String() string {
	if f.l == nil || (f.l.Burst == 0 && f.l.Every == 0) {
		return "0"
	}
	return strconv.Itoa(f.l.Burst) + "/" + f.l.Every.String()
}

func (f rateFlag) Set(v string) error {
	b, e, _ := strings.Cut(v, "/")
	var l upload.RateLimit
	if b = strings.TrimSpace(b); b != "" {
		n, err := strconv.Atoi(b)
		if err != nil {
			return fmt.Errorf("burst %q: want burst/interval, e.g. 30/2s", b)
		}
		l.Burst = n
	}
	if e = strings.TrimSpace(e); e != "" {
		d, err := time.ParseDuration(e)
		if err != nil || d < 0 {
			return fmt.Errorf("interval %q: want burst/interval, e.g. 30/2s", e)
		}
		l.Every = d
	}
	*f.l = l
	return nil
}

// addUploadRateFlags registers -upload-rate and -upload-rate-per-ip, the
// XEP-0363 slot request limits of upload.Config.
func addUploadRateFlags(fs *flag.FlagSet, cfg *upload.Config) {
	d, a := upload.DefaultRequestLimit, upload.DefaultAddrRequestLimit
	fs.Var(rateFlag{&cfg.RequestLimit}, "upload-rate",
		fmt.Sprintf("XEP-0363 slot requests one account may make, as burst/interval: burst at once, then one more every interval; a request over it is refused wait/resource-constraint with a <retry/> time (0: %d/%v; negative burst: no limit)", d.Burst, d.Every))
	fs.Var(rateFlag{&cfg.AddrRequestLimit}, "upload-rate-per-ip",
		fmt.Sprintf("as -upload-rate, for all accounts of one client IP address together (0: %d/%v; negative burst: no limit)", a.Burst, a.Every))
}
