package pipeline_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/history"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/runlock"
	"github.com/intentalert/intentalert/internal/store"
)

// The pipeline, its run lock and its records work the same on every engine:
// DuckDB always, PostgreSQL when INTENTALERT_TEST_POSTGRES names a server.
func TestOnEveryEngine(t *testing.T) {
	for _, eng := range crmtest.Engines(t, store.Init) {
		t.Run(eng.Name, func(t *testing.T) {
			dsn := eng.DSN(t, fixture(t))
			ctx := context.Background()
			d := deps(dsn, nil)

			// A run while another holds the lock is busy.
			started, release := make(chan struct{}), make(chan struct{})
			blocking := pipeline.Step{Name: "alert", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
				close(started)
				<-release
				return pipeline.Result{Alerts: map[string]map[string]int{"webhook": {"sent": 1}}}, nil
			}}
			done := make(chan error, 1)
			go func() {
				_, err := pipeline.Run(ctx, d, pipeline.Options{AsOf: asOf, RunID: "first",
					Steps: []pipeline.Step{pipeline.SegmentStep(rules(), t.TempDir()), blocking}})
				done <- err
			}()
			<-started
			sum, err := pipeline.Run(ctx, deps(dsn, nil), pipeline.Options{AsOf: asOf, RunID: "second",
				Steps: []pipeline.Step{step("x", pipeline.Result{}, nil)}})
			if !errors.Is(err, runlock.ErrBusy) || exitcode.Of(err) != exitcode.Busy || !strings.Contains(err.Error(), "run first") || sum.Recorded {
				t.Errorf("second run = %v (recorded %v), want exit 5 naming run first", err, sum.Recorded)
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatalf("first run: %v", err)
			}

			// An earlier date, then the history of both.
			earlier := asOf.AddDate(0, 0, -20)
			if _, err := pipeline.Run(ctx, d, pipeline.Options{AsOf: earlier, RunID: "earlier",
				Steps: []pipeline.Step{pipeline.SegmentStep(rules(), t.TempDir()), step("fails", pipeline.Result{}, exitcode.Dataf("no table"))}}); exitcode.Of(err) != exitcode.Data {
				t.Fatalf("failing run = %v, want exit 3", err)
			}
			st, err := store.Open(ctx, dsn, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			runs, err := history.Runs(ctx, st, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 2 || runs[0].RunID != "earlier" || runs[0].Status != pipeline.Failed || runs[0].ExitCode != exitcode.Data ||
				runs[1].RunID != "first" || runs[1].Status != pipeline.Succeeded || runs[1].Steps[1].Alerts["webhook"]["sent"] != 1 {
				t.Errorf("runs = %+v, want earlier (failed, 3) then first (succeeded)", runs)
			}
			if runs[1].AsOf != "2024-04-30" || runs[1].FinishedAt.Before(runs[1].StartedAt) {
				t.Errorf("first run: as of %s, %v to %v", runs[1].AsOf, runs[1].StartedAt, runs[1].FinishedAt)
			}
			changes, err := history.Diff(ctx, st, earlier, asOf)
			if err != nil {
				t.Fatal(err)
			}
			// As of 04-10 m's news (04-10) made it MEDIUM and h was LOW.
			if len(changes) != 1 || changes[0].CompanyID != "h" || changes[0].From != "LOW" || changes[0].To != "HIGH" {
				t.Errorf("diff = %+v, want h LOW → HIGH", changes)
			}
		})
	}
}
