package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/muctest/muctest/script"
)

// job is one script the run will report on: parsed, or with the error
// that makes it fail alone.
type job struct {
	path     string
	script   *script.Script // nil when parseErr is set
	parseErr error
	tags     []string
	skip     string // why the script is reported as skipped, "" to run it
}

// shard is -shard K/N; the zero value takes every script.
type shard struct{ k, n int }

// collect expands PATH arguments into .scs files, sorted within a folder.
// A folder without scripts is an error: a CI job pointed at the wrong
// folder must not pass.
func collect(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !seen[filepath.Clean(p)] {
				seen[filepath.Clean(p)] = true
				out = append(out, p)
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".scs") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .scs files", p)
		}
		sort.Strings(found)
		for _, f := range found {
			if !seen[filepath.Clean(f)] {
				seen[filepath.Clean(f)] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// selectJobs applies -run, parses what is left, then -tag, -skip-tag and
// -shard. A script that does not parse stays selected (its tags are
// unknown), so that it fails the run instead of vanishing from it. No
// script left is an error naming the filter that removed them all.
func selectJobs(files []string, cfg config) ([]*job, error) {
	var jobs []*job
	for _, f := range files {
		if cfg.runRe != nil && !cfg.runRe.MatchString(f) {
			continue
		}
		j := &job{path: f}
		j.script, j.parseErr = script.ParseFile(f)
		if j.parseErr == nil {
			j.tags = j.script.Tags
		}
		jobs = append(jobs, j)
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("%w: -run %q matches none of the %d script(s)", errNothing, cfg.runRe, len(files))
	}
	if len(cfg.tags) > 0 {
		kept := jobs[:0]
		for _, j := range jobs {
			if j.parseErr != nil || hasAny(j.tags, cfg.tags) {
				kept = append(kept, j)
			}
		}
		if len(kept) == 0 {
			return nil, fmt.Errorf("%w: no script has a tag of -tag %s", errNothing, strings.Join(cfg.tags, ","))
		}
		jobs = kept
	}
	for _, j := range jobs {
		for _, t := range j.tags {
			if hasAny([]string{t}, cfg.skipTags) {
				j.skip = fmt.Sprintf("skipped: -skip-tag %s", t)
				break
			}
		}
	}
	if cfg.shard.n > 1 {
		jobs = shardJobs(jobs, cfg.shard)
		if len(jobs) == 0 {
			return nil, fmt.Errorf("%w: shard %d/%d is empty (fewer scripts than shards)", errNothing, cfg.shard.k, cfg.shard.n)
		}
	}
	return jobs, nil
}

// shardJobs keeps share K of N: the scripts sorted by slash-separated
// path, dealt round-robin. Every machine of a CI matrix sees the same
// files, so the shares are disjoint, cover the suite, and differ in size
// by at most one script; the order of the PATH arguments does not matter.
func shardJobs(jobs []*job, sh shard) []*job {
	sorted := append([]*job(nil), jobs...)
	sort.SliceStable(sorted, func(a, b int) bool {
		return filepath.ToSlash(filepath.Clean(sorted[a].path)) < filepath.ToSlash(filepath.Clean(sorted[b].path))
	})
	keep := map[*job]bool{}
	for i, j := range sorted {
		if i%sh.n == sh.k-1 {
			keep[j] = true
		}
	}
	var out []*job
	for _, j := range jobs { // input order, as without -shard
		if keep[j] {
			out = append(out, j)
		}
	}
	return out
}

func hasAny(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}

// list prints the selected scripts, one a line: path, title (and the
// description lines under it, joined), tags, and
// the reason when a script will be skipped or does not parse. It exits 1
// when a script does not parse, as running them would.
func list(stdout, stderr io.Writer, jobs []*job) int {
	ew := &errWriter{w: stdout}
	tw := tabwriter.NewWriter(ew, 0, 8, 2, ' ', 0)
	code := exitPass
	for _, j := range jobs {
		if j.parseErr != nil {
			// The error is the last cell: it does not widen the
			// title column.
			fmt.Fprintf(tw, "%s\tdoes not parse: %v\n", j.path, j.parseErr)
			code = exitFail
			continue
		}
		tags := ""
		if len(j.tags) > 0 {
			tags = "[" + strings.Join(j.tags, " ") + "]"
		}
		if j.skip != "" {
			tags += " (" + j.skip + ")"
		}
		title := j.script.Title
		if d := strings.Join(strings.Fields(j.script.Description), " "); d != "" {
			title += ": " + d
		}
		if tags = strings.TrimSpace(tags); tags == "" {
			fmt.Fprintf(tw, "%s\t%s\n", j.path, title)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", j.path, title, tags)
		}
	}
	tw.Flush()
	if ew.err != nil {
		fmt.Fprintf(stderr, "muctest: writing the list: %v\n", ew.err)
		return exitUsage
	}
	return code
}
