// Package pipeline runs intentalert's steps (segment, verify, alert) for one
// as-of date as one run: one at a time per database (the run lock), in
// order, stopping at the first step that fails, and recorded in
// crm.pipeline_runs with each step's outcome and counts.
//
// The steps themselves live in their own packages; the pipeline only knows
// them as Step values (a name and a function), built by the caller.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/runlock"
	"github.com/intentalert/intentalert/internal/store"
)

// Status is how a run or a step ended, or that it is still going.
type Status string

// The statuses of runs and steps. crm.pipeline_runs.status holds the run's.
const (
	Running   Status = "running"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
	Partial   Status = "partial"   // finished, but some alerts failed (exit 4)
	Cancelled Status = "cancelled" // stopped by a signal or shutdown
	Abandoned Status = "abandoned" // its process died before it recorded the end
	Skipped   Status = "skipped"   // a step not run because an earlier one failed
	Busy      Status = "busy"      // not started: another run holds the lock (not recorded)
)

// Env is what a step gets from the run.
type Env struct {
	Store *store.Store
	AsOf  time.Time // the date every window ends on, at midnight UTC
	RunID string
	// Log carries run_id and step on every line.
	Log *slog.Logger
	Now func() time.Time
}

// Result is what a step did, in numbers. Counts is free-form (shown in the
// summary and kept in crm.pipeline_runs); the other fields feed the metrics
// of serve and are kept too.
type Result struct {
	Counts   map[string]int            `json:"counts,omitempty"`
	Segments map[string]int            `json:"segments,omitempty"` // companies per segment
	Verdicts map[string]int            `json:"verdicts,omitempty"` // verifications by verdict
	Credits  float64                   `json:"credits,omitempty"`  // verification credits spent
	Alerts   map[string]map[string]int `json:"alerts,omitempty"`   // alerts by channel, then outcome
}

// Step is one stage of the pipeline. Run may return a Result along with an
// error (what was done before it failed); the error's exit code (see
// package exitcode) becomes the run's.
type Step struct {
	Name string
	Run  func(ctx context.Context, env Env) (Result, error)
}

// Opener opens the database for a run and takes its run lock, in the order
// the engine needs. See Database.
type Opener func(ctx context.Context, o runlock.Owner) (*store.Store, runlock.Lock, error)

// Deps are what Run needs from outside.
type Deps struct {
	Open Opener
	Log  *slog.Logger     // nil: discard
	Now  func() time.Time // nil: time.Now
}

// Options choose what one run does.
type Options struct {
	AsOf    time.Time
	RunID   string // empty: a new time-ordered UUID
	Trigger string // who started it: "cli", "schedule", "http"
	Steps   []Step
}

// StepSummary is how one step ended.
type StepSummary struct {
	Name      string    `json:"name"`
	Status    Status    `json:"status"`
	ExitCode  int       `json:"exit_code"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Seconds   float64   `json:"duration_seconds"`
	Error     string    `json:"error,omitempty"`
	Result
}

// Duration is how long the step took.
func (s StepSummary) Duration() time.Duration {
	return time.Duration(s.Seconds * float64(time.Second))
}

// Summary is how a run ended: what intentalert run prints and
// crm.pipeline_runs keeps.
type Summary struct {
	RunID      string        `json:"run_id"`
	AsOf       string        `json:"as_of"`
	Trigger    string        `json:"triggered_by"`
	StartedAt  time.Time     `json:"started_at"`
	FinishedAt time.Time     `json:"finished_at,omitzero"`
	Status     Status        `json:"status"`
	ExitCode   int           `json:"exit_code"`
	Error      string        `json:"error,omitempty"`
	Steps      []StepSummary `json:"steps"`
	// Recorded says whether crm.pipeline_runs holds the run: not when it
	// never got the lock or could not open the database.
	Recorded bool `json:"recorded"`
}

// Duration is how long the run took.
func (s Summary) Duration() time.Duration { return s.FinishedAt.Sub(s.StartedAt) }

// Step returns the summary of the step called name, and whether there is one.
func (s Summary) Step(name string) (StepSummary, bool) {
	for _, st := range s.Steps {
		if st.Name == name {
			return st, true
		}
	}
	return StepSummary{}, false
}

// finishTimeout bounds recording the end of a run once its context is done.
const finishTimeout = 15 * time.Second

// Run executes opts.Steps in order for opts.AsOf. It takes the run lock
// (exit 5 at once when another run holds it), records the run in
// crm.pipeline_runs, stops at the first failing step, records the outcome
// and returns the summary. The error is the failing step's, carrying its
// exit code; nil when every step succeeded.
func Run(ctx context.Context, deps Deps, opts Options) (Summary, error) {
	if err := Check(opts.Steps); err != nil {
		return Summary{}, err
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	log := deps.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id := opts.RunID
	if id == "" {
		u, err := uuid.NewV7()
		if err != nil {
			return Summary{}, fmt.Errorf("new run id: %w", err)
		}
		id = u.String()
	}
	trigger := opts.Trigger
	if trigger == "" {
		trigger = "cli"
	}
	asOf := opts.AsOf.Format(time.DateOnly)
	log = log.With("run_id", id)
	sum := Summary{RunID: id, AsOf: asOf, Trigger: trigger, StartedAt: now().UTC(), Status: Running}
	for _, s := range opts.Steps {
		sum.Steps = append(sum.Steps, StepSummary{Name: s.Name, Status: Skipped})
	}
	end := func(status Status, err error) (Summary, error) {
		sum.FinishedAt = now().UTC()
		sum.Status = status
		sum.ExitCode = exitcode.Of(err)
		if err != nil {
			sum.Error = oneLine(err.Error())
		}
		return sum, err
	}

	st, lock, err := deps.Open(ctx, runlock.Me(id, sum.StartedAt))
	if err != nil {
		if errors.Is(err, runlock.ErrBusy) {
			log.Warn("run not started: another run holds the lock", "as_of", asOf, "error", err)
			return end(Busy, err)
		}
		log.Error("run not started: cannot open the database", "as_of", asOf, "error", err)
		return end(Failed, err)
	}
	defer lock.Unlock()
	defer st.Close()

	rec := recorder{st: st}
	if err := rec.start(ctx, sum, now().UTC()); err != nil {
		log.Error("run not started: cannot record it", "error", err)
		return end(Failed, err)
	}
	sum.Recorded = true
	log.Info("run started", "as_of", asOf, "triggered_by", trigger, "db", st.Name,
		"steps", strings.Join(stepNames(opts.Steps), ","))

	status, runErr := Succeeded, error(nil)
	for i, step := range opts.Steps {
		if err := ctx.Err(); err != nil {
			status, runErr = Cancelled, fmt.Errorf("run cancelled before step %s: %w", step.Name, context.Cause(ctx))
			break
		}
		ss := runStep(ctx, step, Env{Store: st, AsOf: opts.AsOf, RunID: id, Log: log.With("step", step.Name), Now: now}, now)
		sum.Steps[i] = ss.StepSummary
		if ss.err != nil {
			runErr = fmt.Errorf("step %s: %w", step.Name, ss.err)
			status = ss.Status
			break
		}
	}
	sum, _ = end(status, runErr)
	// Record the end even when the run was cancelled.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := rec.finish(fctx, sum); err != nil {
		sum.Recorded = false
		log.Error("cannot record the end of the run in crm.pipeline_runs", "error", err)
		if runErr == nil {
			runErr = err
			sum, _ = end(Failed, err)
		}
	}
	attrs := []any{"status", sum.Status, "exit_code", sum.ExitCode, "duration_seconds", seconds(sum.Duration())}
	switch sum.Status {
	case Succeeded:
		log.Info("run finished", attrs...)
	case Partial:
		log.Warn("run finished, some alerts failed", append(attrs, "error", sum.Error)...)
	default:
		log.Error("run failed", append(attrs, "error", sum.Error)...)
	}
	return sum, runErr
}

type stepOutcome struct {
	StepSummary
	err error
}

// runStep runs one step, turning a panic into an error so that a long-lived
// serve survives it.
func runStep(ctx context.Context, step Step, env Env, now func() time.Time) (out stepOutcome) {
	start := now().UTC()
	out.Name, out.StartedAt = step.Name, start
	env.Log.Info("step started")
	defer func() {
		if p := recover(); p != nil {
			env.Log.Error("step panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			out.err = fmt.Errorf("internal error: %v", p)
		}
		out.Seconds = now().Sub(start).Seconds()
		out.ExitCode = exitcode.Of(out.err)
		switch {
		case out.err == nil:
			out.Status = Succeeded
			env.Log.Info("step finished", "duration_seconds", seconds(out.Duration()), "result", out.Result)
		case ctx.Err() != nil:
			out.Status = Cancelled
		case out.ExitCode == exitcode.Partial:
			out.Status = Partial
		default:
			out.Status = Failed
		}
		if out.err != nil {
			out.Error = oneLine(out.err.Error())
			env.Log.Warn("step did not succeed", "status", out.Status, "exit_code", out.ExitCode,
				"duration_seconds", seconds(out.Duration()), "result", out.Result, "error", out.Error)
		}
	}()
	out.Result, out.err = step.Run(ctx, env)
	return out
}

// LogValue logs a Result as nested groups of its non-empty counts.
func (r Result) LogValue() slog.Value {
	var attrs []slog.Attr
	ints := func(name string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		var as []slog.Attr
		for _, k := range slices.Sorted(maps.Keys(m)) {
			as = append(as, slog.Int(k, m[k]))
		}
		attrs = append(attrs, slog.Attr{Key: name, Value: slog.GroupValue(as...)})
	}
	ints("counts", r.Counts)
	ints("segments", r.Segments)
	ints("verdicts", r.Verdicts)
	if r.Credits != 0 {
		attrs = append(attrs, slog.Float64("credits", r.Credits))
	}
	for _, ch := range slices.Sorted(maps.Keys(r.Alerts)) {
		ints("alerts_"+ch, r.Alerts[ch])
	}
	return slog.GroupValue(attrs...)
}

// seconds rounds d to milliseconds, in seconds, for logs.
func seconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }

func stepNames(steps []Step) []string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Name
	}
	return names
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Database returns the Opener for the database dsn. For a DuckDB file it
// takes the lock file beside it first, so that a second run is told "busy"
// (exit 5) before DuckDB's own file lock would refuse it (exit 3); for a
// database server (a URL) it connects first and then takes an advisory
// lock.
func Database(dsn string) Opener {
	return func(ctx context.Context, o runlock.Owner) (*store.Store, runlock.Lock, error) {
		if strings.Contains(dsn, "://") {
			st, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				return nil, nil, err
			}
			lock, err := runlock.Advisory(st.DB, st.Name).TryLock(ctx, o)
			if err != nil {
				st.Close()
				return nil, nil, err
			}
			return st, lock, nil
		}
		if err := store.CheckDuckDBFile(dsn); err != nil {
			return nil, nil, err
		}
		lock, err := runlock.FileFor(dsn).TryLock(ctx, o)
		if err != nil {
			return nil, nil, err
		}
		st, err := store.Open(ctx, dsn, store.Options{})
		if err != nil {
			lock.Unlock()
			return nil, nil, err
		}
		return st, lock, nil
	}
}

// recorder writes crm.pipeline_runs.
type recorder struct {
	st *store.Store
}

// timestamp formats t for a TIMESTAMP parameter, as segment does.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000") }

func (r recorder) start(ctx context.Context, s Summary, now time.Time) error {
	if _, err := r.st.Migrate(ctx); err != nil {
		return err
	}
	// We hold the run lock: a run still marked running has died.
	if _, err := r.st.DB.ExecContext(ctx, r.st.SQL("pipeline_abandon"), timestamp(now),
		"the process ended before the run finished (killed, crashed or lost its host)"); err != nil {
		return fmt.Errorf("mark dead runs abandoned in crm.pipeline_runs: %w", err)
	}
	host, _ := os.Hostname()
	if _, err := r.st.DB.ExecContext(ctx, r.st.SQL("pipeline_start"), s.RunID, s.AsOf, s.Trigger,
		timestamp(s.StartedAt), host, os.Getpid()); err != nil {
		return fmt.Errorf("record the run in crm.pipeline_runs: %w", err)
	}
	return nil
}

func (r recorder) finish(ctx context.Context, s Summary) error {
	steps, err := json.Marshal(s.Steps)
	if err != nil {
		return fmt.Errorf("encode steps: %w", err)
	}
	var runErr any
	if s.Error != "" {
		runErr = s.Error
	}
	if _, err := r.st.DB.ExecContext(ctx, r.st.SQL("pipeline_finish"), s.RunID, timestamp(s.FinishedAt),
		string(s.Status), s.ExitCode, string(steps), runErr); err != nil {
		return fmt.Errorf("record the end of run %s in crm.pipeline_runs: %w", s.RunID, err)
	}
	return nil
}
