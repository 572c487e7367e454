package script

import (
	"context"
	"fmt"
	"time"
)

// timedStep runs a step under Options.StepTimeout and traces how long it
// took.
func (r *runner) timedStep(st *Step) *Failure {
	start := time.Now()
	parent := r.ctx
	var deadline time.Time
	if r.opts.StepTimeout > 0 {
		ctx, cancel := context.WithTimeout(parent, r.opts.StepTimeout)
		defer cancel()
		deadline, _ = ctx.Deadline()
		if pd, ok := parent.Deadline(); ok && !deadline.Before(pd) {
			deadline = time.Time{} // the script's timeout comes first
		}
		r.ctx = ctx
		defer func() { r.ctx = parent }()
	}
	f := r.step(st)
	// The deadline, not ctx.Err: a socket deadline set from it can fire
	// before the context's own timer.
	if f != nil && !deadline.IsZero() && !time.Now().Before(deadline) {
		f.Msg += fmt.Sprintf(" (the step timeout of %s fired)", r.opts.StepTimeout)
	}
	verdict := "ok"
	if f != nil {
		verdict = "FAILED"
	}
	r.tracef("    %s in %s", verdict, time.Since(start).Round(time.Microsecond))
	return f
}
