// Command comparetable turns the JSON lines written by bench/compare.sh
// (mucbench -json reports and script-suite timings) into the one table the
// comparison prints: muctest next to Prosody and ejabberd, with ratios.
//
//	go run ./bench/comparetable < results.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// line is one input line: either a fan-out run (Scenario + Report) or a
// script-suite timing (Suite).
type line struct {
	Scenario string  `json:"scenario"`
	Report   *report `json:"report"`
	Suite    *suite  `json:"suite"`
}

// report mirrors the fields of cmd/mucbench's JSON report used here.
type report struct {
	Label string
	// Kind is "pep" for mucbench -pep runs, "muc" (or empty, before
	// mucbench reported it) for groupchat fan-out.
	Kind                                 string `json:"kind"`
	Delivered                            int64
	Lost, Duplicated, OutOfOrder, Errors int64
	PerSecond                            float64
	P50, P99                             time.Duration
	TimedOut                             bool
	BytesPerOccupant                     int64
	BytesPerOccupantRest                 int64
	ServerCPU                            time.Duration
	Cores                                int
	// Error is set by compare.sh when mucbench failed outright.
	Error string `json:"error"`
	// LivePerOccupant and GoroutinesPerOccupant: muctest's own server only.
	LivePerOccupant       int64
	GoroutinesPerOccupant float64
	// Runs and FaultyRuns count the runs of this scenario and server.
	Runs, FaultyRuns int `json:"-"`
}

func (r *report) faulty() bool {
	return r.Error != "" || r.TimedOut || r.Lost+r.Duplicated+r.OutOfOrder+r.Errors > 0
}

// suite is one timed run of the script corpus.
type suite struct {
	Label   string  `json:"label"`
	Seconds float64 `json:"seconds"` // the median when Runs > 1
	Best    float64 `json:"best"`
	Passed  int     `json:"passed"`
	Failed  int     `json:"failed"`
	Runs    int     `json:"runs"`
}

const ours = "muctest"

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "comparetable:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	var (
		scenarios []string
		peers     []string
		runs      = map[string]map[string]*report{} // scenario -> label -> report
		suites    []*suite
		live      string
		cores     = runtime.NumCPU()
	)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var l line
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			return fmt.Errorf("parse %q: %w", text, err)
		}
		switch {
		case l.Suite != nil:
			suites = append(suites, l.Suite)
		case l.Report != nil:
			if runs[l.Scenario] == nil {
				runs[l.Scenario] = map[string]*report{}
				scenarios = append(scenarios, l.Scenario)
			}
			// Repeated runs (compare.sh REPEAT=n): keep the fastest, but
			// keep the faults of all.
			r := l.Report
			if prev := runs[l.Scenario][r.Label]; prev != nil {
				// Memory comes from the first run, on a fresh server.
				r.Runs, r.FaultyRuns = prev.Runs, prev.FaultyRuns
				r.BytesPerOccupant, r.LivePerOccupant = prev.BytesPerOccupant, prev.LivePerOccupant
				r.BytesPerOccupantRest = prev.BytesPerOccupantRest
				r.GoroutinesPerOccupant = prev.GoroutinesPerOccupant
				if prev.PerSecond > r.PerSecond {
					r = prev
				}
			}
			r.Runs++
			if l.Report.faulty() {
				r.FaultyRuns++
			}
			runs[l.Scenario][r.Label] = r
			if !contains(peers, l.Report.Label) {
				peers = append(peers, l.Report.Label)
			}
			if l.Report.Cores > 0 {
				cores = l.Report.Cores
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	// muctest first, then the peers in the order they appeared.
	labels := []string{ours}
	for _, p := range peers {
		if p != ours {
			labels = append(labels, p)
		}
	}

	fmt.Fprintf(out, "machine: %d cores, %s\n\n", cores, cpuModel())
	// tabwriter aligns every column right; padding the names to one width
	// keeps the first column readable.
	width := len("  server CPU ms/10k deliveries") // the longest row name
	for _, s := range scenarios {
		width = max(width, len(s))
	}
	pad := func(s string) string { return s + strings.Repeat(" ", max(0, width-len(s))) }
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := pad("MUC fan-out") + "\t"
	for _, l := range labels {
		head += l + "\t"
	}
	for _, l := range labels[1:] {
		head += "vs " + l + "\t"
	}
	fmt.Fprintln(w, head)
	pepHeader := false
	for i, s := range scenarios {
		rs := runs[s]
		throughput := "  delivered stanzas/s"
		if kindOf(rs) == "pep" {
			throughput = "  notifications/s"
			if !pepHeader {
				fmt.Fprintf(w, "%s\t%s\n", pad("PEP (XEP-0163)"), strings.Repeat("\t", 2*len(labels)-1))
				pepHeader = true
			}
		}
		fmt.Fprintf(w, "%s\t%s\n", pad(s), strings.Repeat("\t", 2*len(labels)-1))
		row(w, pad, throughput, labels, rs, func(r *report) (float64, string) {
			return r.PerSecond, fmt.Sprintf("%.0f", r.PerSecond)
		}, true)
		row(w, pad, "  latency p50", labels, rs, func(r *report) (float64, string) {
			return float64(r.P50), ms(r.P50)
		}, false)
		row(w, pad, "  latency p99", labels, rs, func(r *report) (float64, string) {
			return float64(r.P99), ms(r.P99)
		}, false)
		row(w, pad, "  lost/dup/order/err", labels, rs, func(r *report) (float64, string) {
			f := fmt.Sprintf("%d/%d/%d/%d", r.Lost, r.Duplicated, r.OutOfOrder, r.Errors)
			if r.TimedOut {
				f += " TIMEOUT"
			}
			if r.Error != "" {
				f = "FAILED"
			}
			if r.FaultyRuns > 0 && r.Runs > 1 {
				f += fmt.Sprintf(" (%d/%d runs)", r.FaultyRuns, r.Runs)
			}
			return 0, f
		}, false)
		row(w, pad, "  server CPU ms/10k deliveries", labels, rs, func(r *report) (float64, string) {
			if r.Delivered == 0 {
				return 0, "-"
			}
			v := float64(r.ServerCPU.Milliseconds()) * 10000 / float64(r.Delivered)
			return v, fmt.Sprintf("%.0f", v)
		}, false)
		if i == 0 && kindOf(rs) != "pep" { // fresh servers: later scenarios inherit earlier garbage
			row(w, pad, "  RSS/occupant KiB, joined", labels, rs, func(r *report) (float64, string) {
				v := float64(r.BytesPerOccupant) / 1024
				return v, fmt.Sprintf("%.1f", v)
			}, false)
			row(w, pad, "  RSS/occupant KiB, at rest", labels, rs, func(r *report) (float64, string) {
				if r.BytesPerOccupantRest == 0 {
					return 0, "-"
				}
				v := float64(r.BytesPerOccupantRest) / 1024
				return v, fmt.Sprintf("%.1f", v)
			}, false)
			if r := rs[ours]; r != nil && r.LivePerOccupant > 0 {
				live = fmt.Sprintf("muctest, first scenario: live Go heap+stacks %.1f KiB and %.1f goroutines per occupant (connection)",
					float64(r.LivePerOccupant)/1024, r.GoroutinesPerOccupant)
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if live != "" {
		fmt.Fprintln(out, live)
	}
	if len(suites) > 0 {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "script suite (spec/ + Prosody corpus)\twall (median)\tbest\tpassed\tfailed\truns\tvs in-process\t")
		var base float64
		for _, s := range suites {
			if base == 0 {
				base = s.Seconds
			}
			ratio := "-"
			if base > 0 && s != suites[0] {
				ratio = fmt.Sprintf("%.0fx slower", s.Seconds/base)
			}
			best := "-"
			if s.Best > 0 {
				best = fmt.Sprintf("%.0f ms", s.Best*1000)
			}
			fmt.Fprintf(w, "%s\t%.0f ms\t%s\t%d\t%d\t%d\t%s\t\n", s.Label, s.Seconds*1000, best, s.Passed, s.Failed, s.Runs, ratio)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// row prints one metric for every label and, for higher-is-better
// metrics, muctest's ratio to each peer (lower-is-better ones get the
// peer's value over ours, so that > 1 always means muctest is better).
func row(w io.Writer, pad func(string) string, name string, labels []string, rs map[string]*report, f func(*report) (float64, string), higherBetter bool) {
	cells := pad(name) + "\t"
	vals := make([]float64, len(labels))
	for i, l := range labels {
		r := rs[l]
		if r == nil {
			cells += "-\t"
			continue
		}
		v, s := f(r)
		vals[i] = v
		cells += s + "\t"
	}
	for i := 1; i < len(labels); i++ {
		a, b := vals[0], vals[i]
		switch {
		case a == 0 || b == 0:
			cells += "\t"
		case higherBetter:
			cells += fmt.Sprintf("%.1fx\t", a/b)
		default:
			cells += fmt.Sprintf("%.1fx\t", b/a)
		}
	}
	fmt.Fprintln(w, cells)
}

// kindOf is the kind of a scenario's runs: "pep" when any run says so.
func kindOf(rs map[string]*report) string {
	for _, r := range rs {
		if r.Kind == "pep" {
			return "pep"
		}
	}
	return "muc"
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// cpuModel names the processor, for the table's header line.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
