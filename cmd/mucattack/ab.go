package main

import (
	"context"
	"fmt"
	"time"
)

// This file is the -ab mode: every attack runs against two mucd builds,
// -mucd-bin (A) and -ab (B), each on a fresh server, one right after the
// other and in alternating order (A B, then B A), so that the two are
// compared under the same load of a shared machine rather than minutes
// apart (the machine's load swings more than most changes matter). The
// summary gives each build's passes, its worst witness round trip and its
// worst RSS growth.

// runAB is runAll for -ab.
func (b *battery) runAB(ctx context.Context, sel []attack) error {
	bins := map[string]string{"A": b.o.mucdBin, "B": b.o.abBin}
	fmt.Fprintf(b.out, "%d attacks, %v each, %v cooldown, A=%s B=%s, a fresh mucd for each run\n",
		len(sel), b.o.dur, b.o.cooldown, b.o.mucdBin, b.o.abBin)
	fmt.Fprintln(b.out, "  "+header())
	type sum struct {
		pass, n     int
		witMax      time.Duration
		witMaxName  string
		growth      int64
		growthName  string
		failedNames []string
	}
	sums := map[string]*sum{"A": {}, "B": {}}
	current, first := "A", true // the battery started A's mucd
	for i, a := range sel {
		order := []string{"A", "B"}
		if i%2 == 1 {
			order = []string{"B", "A"}
		}
		for _, label := range order {
			if ctx.Err() != nil {
				break
			}
			if !first || label != current {
				b.bin = bins[label]
				if err := b.restart(ctx); err != nil {
					return fmt.Errorf("%s before %s: %w", label, a.name, err)
				}
			}
			first, current = false, label
			r := b.runOne(ctx, a)
			fmt.Fprintln(b.out, label+" "+r.row())
			s := sums[label]
			s.n++
			if r.pass() {
				s.pass++
			} else {
				s.failedNames = append(s.failedNames, a.name)
			}
			if r.wit.max > s.witMax {
				s.witMax, s.witMaxName = r.wit.max, a.name
			}
			if g := r.peak - r.before; g > s.growth {
				s.growth, s.growthName = g, a.name
			}
		}
	}
	fmt.Fprintln(b.out)
	for _, label := range []string{"A", "B"} {
		s := sums[label]
		fmt.Fprintf(b.out, "%s: %d passed, %d failed %v; worst witness %s (%s), worst RSS growth %d MB (%s)\n",
			label, s.pass, s.n-s.pass, s.failedNames, round(s.witMax), s.witMaxName, s.growth>>20, s.growthName)
	}
	return nil
}
