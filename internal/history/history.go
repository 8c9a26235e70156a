// Package history reads what past runs left in the database: the audit
// trail of pipeline runs (crm.pipeline_runs) and the segmentation of every
// as-of date (crm.buying_intent_history), to list runs and to compare two
// dates.
package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/store"
)

// Tables that history reads.
var (
	pipelineRuns  = store.Table{Name: "pipeline_runs", Columns: []store.Column{{Name: "run_id"}, {Name: "as_of", Date: true}, {Name: "status"}, {Name: "steps"}}}
	intentHistory = store.Table{Name: "buying_intent_history", Columns: []store.Column{{Name: "as_of", Date: true}, {Name: "company_id"}, {Name: "buying_intent"}}}
)

// Run is one row of crm.pipeline_runs.
type Run struct {
	pipeline.Summary
	Host string `json:"host,omitempty"`
	PID  int    `json:"pid,omitempty"`
}

// Runs returns the limit most recent runs, newest first. A database where
// no run was ever recorded gives none.
func Runs(ctx context.Context, st *store.Store, limit int) ([]Run, error) {
	if ok, err := tableExists(ctx, st, pipelineRuns.Name); err != nil || !ok {
		return nil, err
	}
	if err := st.Require(ctx, pipelineRuns); err != nil {
		return nil, err
	}
	rows, err := st.DB.QueryContext(ctx, st.SQL("pipeline_list"), limit)
	if err != nil {
		return nil, fmt.Errorf("read crm.pipeline_runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var asOf, started time.Time
		var finished sql.NullTime
		var exit, pid sql.NullInt64
		var steps, errText, host, trigger sql.NullString
		var status string
		if err := rows.Scan(&r.RunID, &asOf, &trigger, &started, &finished, &status, &exit, &steps, &errText, &host, &pid); err != nil {
			return nil, fmt.Errorf("read crm.pipeline_runs: %w", err)
		}
		r.AsOf = asOf.Format(time.DateOnly)
		r.Trigger = trigger.String
		r.StartedAt = started.UTC()
		if finished.Valid {
			r.FinishedAt = finished.Time.UTC()
		}
		r.Status = pipeline.Status(status)
		r.ExitCode = int(exit.Int64)
		r.Error = errText.String
		r.Host = host.String
		r.PID = int(pid.Int64)
		r.Recorded = true
		if steps.Valid && steps.String != "" {
			if err := json.Unmarshal([]byte(steps.String), &r.Steps); err != nil {
				return nil, fmt.Errorf("read crm.pipeline_runs: run %s: steps are not valid JSON: %w", r.RunID, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read crm.pipeline_runs: %w", err)
	}
	return out, nil
}

// tableExists reports whether crm.<name> exists.
func tableExists(ctx context.Context, st *store.Store, name string) (bool, error) {
	var n int
	if err := st.DB.QueryRowContext(ctx, st.SQL("pipeline_table_exists"), name).Scan(&n); err != nil {
		return false, fmt.Errorf("database %s: read the schema: %w", st.Name, err)
	}
	return n > 0, nil
}

// Change is a company whose segment differs between two as-of dates. A
// tier is empty where the company was not segmented at that date.
type Change struct {
	CompanyID string `json:"company_id"`
	Domain    string `json:"domain,omitempty"`
	From      string `json:"from"`
	To        string `json:"to"`
}

var rank = map[string]int{"HIGH": 3, "MEDIUM": 2, "LOW": 1}

// Direction is "up" when the company moved to a stronger segment (or
// appeared), "down" otherwise.
func (c Change) Direction() string {
	if rank[c.To] > rank[c.From] {
		return "up"
	}
	return "down"
}

// Diff lists the companies whose segment differs between the as-of dates
// from and to of crm.buying_intent_history, strongest new segment first.
// A date that was never segmented is an exit code 3 error that lists the
// dates there are.
func Diff(ctx context.Context, st *store.Store, from, to time.Time) ([]Change, error) {
	if ok, err := tableExists(ctx, st, intentHistory.Name); err != nil {
		return nil, err
	} else if !ok {
		return nil, exitcode.Dataf("database %s has no segmentation history (crm.buying_intent_history): run `intentalert segment --as-of DATE` for each date first", st.Name)
	}
	if err := st.Require(ctx, intentHistory); err != nil {
		return nil, err
	}
	dates, err := Dates(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, d := range []time.Time{from, to} {
		if _, ok := dates[d.Format(time.DateOnly)]; !ok {
			return nil, exitcode.Dataf("no segmentation as of %s in crm.buying_intent_history (have: %s): run `intentalert segment --as-of %s` first",
				d.Format(time.DateOnly), listDates(dates), d.Format(time.DateOnly))
		}
	}
	rows, err := st.DB.QueryContext(ctx, st.SQL("diff_tiers"), from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("compare segmentations: %w", err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var domain, f, t sql.NullString
		if err := rows.Scan(&c.CompanyID, &domain, &f, &t); err != nil {
			return nil, fmt.Errorf("compare segmentations: %w", err)
		}
		c.Domain, c.From, c.To = domain.String, f.String, t.String
		out = append(out, c)
	}
	return out, rows.Err()
}

// Dates returns the as-of dates of crm.buying_intent_history with their
// number of companies.
func Dates(ctx context.Context, st *store.Store) (map[string]int, error) {
	rows, err := st.DB.QueryContext(ctx, st.SQL("diff_dates"))
	if err != nil {
		return nil, fmt.Errorf("read crm.buying_intent_history: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var d time.Time
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, fmt.Errorf("read crm.buying_intent_history: %w", err)
		}
		out[d.Format(time.DateOnly)] = n
	}
	return out, rows.Err()
}

// listDates shows at most the five newest dates.
func listDates(dates map[string]int) string {
	if len(dates) == 0 {
		return "none"
	}
	ds := make([]string, 0, len(dates))
	for d := range dates {
		ds = append(ds, d)
	}
	// Newest first; the format sorts as text.
	slices.Sort(ds)
	slices.Reverse(ds)
	if len(ds) > 5 {
		ds = append(ds[:5], "...")
	}
	return strings.Join(ds, ", ")
}
