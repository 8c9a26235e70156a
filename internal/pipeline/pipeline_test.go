package pipeline_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/runlock"
	"github.com/intentalert/intentalert/internal/segment"
)

var asOf = time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)

// fixture is a CRM with one company of each tier as of 2024-04-30.
func fixture(t *testing.T) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Company("h", "h.com", "1 High St")
	crm.News("https://www.h.com", "2024-04-29", "H raises")
	crm.Visit("a@H.com", "2024-04-28")
	crm.Contact("h", "Ann", "Lee", "ann@h.com", "1")
	crm.Company("m", "m.com", "")
	crm.News("http://m.com/x", "2024-04-10", "M")
	crm.Company("l", "l.com", "")
	crm.Close()
	return crm.Path
}

// clock is a fake clock that moves one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func deps(db string, log *slog.Logger) pipeline.Deps {
	c := &clock{t: time.Date(2024, 4, 30, 7, 0, 0, 0, time.UTC)}
	return pipeline.Deps{Open: pipeline.Database(db), Log: log, Now: c.now}
}

func rules() segment.Params {
	return segment.Params{HighDays: segment.DefaultHighDays, MediumDays: segment.DefaultMediumDays}
}

func step(name string, res pipeline.Result, err error) pipeline.Step {
	return pipeline.Step{Name: name, Run: func(context.Context, pipeline.Env) (pipeline.Result, error) { return res, err }}
}

// row is one crm.pipeline_runs row.
type row struct {
	id, status, steps string
	asOf              time.Time
	exit              sql.NullInt64
	errText           sql.NullString
	finished          sql.NullTime
}

func runs(t *testing.T, db string) []row {
	t.Helper()
	conn, err := sql.Open("duckdb", db+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rs, err := conn.Query(`SELECT run_id, status, coalesce(steps, ''), as_of, exit_code, error, finished_at FROM crm.pipeline_runs ORDER BY started_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.id, &r.status, &r.steps, &r.asOf, &r.exit, &r.errText, &r.finished); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestRunSegmentsRecordsAndSummarises(t *testing.T) {
	db := fixture(t)
	dataDir := filepath.Join(t.TempDir(), "out")
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	verify := step(pipeline.StepVerify, pipeline.Result{Verdicts: map[string]int{"valid": 1}, Credits: 1}, nil)
	alert := step(pipeline.StepAlert, pipeline.Result{Alerts: map[string]map[string]int{"webhook": {"sent": 1}}}, nil)

	sum, err := pipeline.Run(context.Background(), deps(db, log), pipeline.Options{
		AsOf: asOf, RunID: "run-1", Steps: []pipeline.Step{pipeline.SegmentStep(rules(), dataDir), verify, alert},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum.Status != pipeline.Succeeded || sum.ExitCode != 0 || !sum.Recorded || sum.AsOf != "2024-04-30" || sum.Trigger != "cli" {
		t.Errorf("summary = %+v, want succeeded, exit 0, recorded, as of 2024-04-30, by cli", sum)
	}
	seg, _ := sum.Step(pipeline.StepSegment)
	if want := map[string]int{"HIGH": 1, "MEDIUM": 1, "LOW": 1}; !equalCounts(seg.Segments, want) {
		t.Errorf("segment counts = %v, want %v", seg.Segments, want)
	}
	if seg.Seconds <= 0 {
		t.Errorf("segment took %v s, want > 0 on the fake clock", seg.Seconds)
	}
	if b, err := os.ReadFile(filepath.Join(dataDir, segment.CSVName)); err != nil || !strings.Contains(string(b), "h,HIGH") {
		t.Errorf("customer_segments.csv = %q (%v), want h,HIGH in it", b, err)
	}

	rows := runs(t, db)
	if len(rows) != 1 {
		t.Fatalf("%d rows in crm.pipeline_runs, want 1", len(rows))
	}
	r := rows[0]
	if r.id != "run-1" || r.status != "succeeded" || !r.exit.Valid || r.exit.Int64 != 0 || r.errText.Valid || !r.finished.Valid || !r.asOf.Equal(asOf) {
		t.Errorf("row = %+v, want run-1 succeeded, exit 0, no error, finished, as of 2024-04-30", r)
	}
	var steps []pipeline.StepSummary
	if err := json.Unmarshal([]byte(r.steps), &steps); err != nil {
		t.Fatalf("steps column %q: %v", r.steps, err)
	}
	if len(steps) != 3 || steps[0].Segments["HIGH"] != 1 || steps[1].Verdicts["valid"] != 1 || steps[2].Alerts["webhook"]["sent"] != 1 {
		t.Errorf("steps column = %s, want the three steps' counts", r.steps)
	}

	// Every log line of the run carries its id.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) < 4 {
		t.Fatalf("only %d log lines: %s", len(lines), logs.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, `"run_id":"run-1"`) {
			t.Errorf("log line without run_id: %s", l)
		}
	}
	if _, err := os.Stat(db + runlock.FileSuffix); err != nil {
		t.Errorf("no lock file beside the database: %v", err)
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFirstFailingStepStopsTheRunWithItsExitCode(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus pipeline.Status
		wantCode   int
	}{
		{"data error", exitcode.Dataf("table crm.valid_emails is missing"), pipeline.Failed, exitcode.Data},
		{"runtime error", errors.New("provider said no"), pipeline.Failed, exitcode.Failure},
		{"usage error", exitcode.Usagef("--provider zerobounce needs ZEROBOUNCE_API_KEY"), pipeline.Failed, exitcode.Usage},
		{"some alerts failed", exitcode.Wrap(exitcode.Partial, errors.New("2 of 3 alerts failed")), pipeline.Partial, exitcode.Partial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := fixture(t)
			ran := false
			after := pipeline.Step{Name: "after", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
				ran = true
				return pipeline.Result{}, nil
			}}
			sum, err := pipeline.Run(context.Background(), deps(db, nil), pipeline.Options{AsOf: asOf, Steps: []pipeline.Step{
				pipeline.SegmentStep(rules(), t.TempDir()),
				step("failing", pipeline.Result{Counts: map[string]int{"done": 2}}, tt.err),
				after,
			}})
			if got := exitcode.Of(err); got != tt.wantCode {
				t.Errorf("exit code %d, want %d (err %v)", got, tt.wantCode, err)
			}
			if ran {
				t.Error("the step after the failing one ran")
			}
			if sum.Status != tt.wantStatus || sum.ExitCode != tt.wantCode || !strings.Contains(sum.Error, "step failing") {
				t.Errorf("summary status %s exit %d error %q, want %s, %d, naming the step", sum.Status, sum.ExitCode, sum.Error, tt.wantStatus, tt.wantCode)
			}
			want := []pipeline.Status{pipeline.Succeeded, tt.wantStatus, pipeline.Skipped}
			for i, s := range sum.Steps {
				if s.Status != want[i] {
					t.Errorf("step %s: %s, want %s", s.Name, s.Status, want[i])
				}
			}
			if failing, _ := sum.Step("failing"); failing.Counts["done"] != 2 {
				t.Errorf("the failing step's counts were lost: %+v", failing)
			}
			rows := runs(t, db)
			if len(rows) != 1 || rows[0].status != string(tt.wantStatus) || rows[0].exit.Int64 != int64(tt.wantCode) || !strings.Contains(rows[0].errText.String, "step failing") {
				t.Errorf("crm.pipeline_runs = %+v, want one %s row with exit %d and the error", rows, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestSegmentDataErrorIsExit3(t *testing.T) {
	crm := crmtest.New(t)
	crm.Exec(`DROP TABLE crm.website_visits`)
	crm.Close()
	sum, err := pipeline.Run(context.Background(), deps(crm.Path, nil), pipeline.Options{AsOf: asOf,
		Steps: []pipeline.Step{pipeline.SegmentStep(rules(), t.TempDir())}})
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "website_visits") {
		t.Errorf("Run = %v (exit %d), want exit 3 naming crm.website_visits", err, exitcode.Of(err))
	}
	if sum.Status != pipeline.Failed || !sum.Recorded {
		t.Errorf("summary = %+v, want a recorded failure", sum)
	}
}

func TestMissingDatabaseIsExit3AndNotRecorded(t *testing.T) {
	db := filepath.Join(t.TempDir(), "missing.duckdb")
	sum, err := pipeline.Run(context.Background(), deps(db, nil), pipeline.Options{AsOf: asOf,
		Steps: []pipeline.Step{step("x", pipeline.Result{}, nil)}})
	if exitcode.Of(err) != exitcode.Data || sum.Recorded || sum.Status != pipeline.Failed {
		t.Errorf("Run = %+v, %v; want an unrecorded failure with exit 3", sum, err)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("Run created the missing database")
	}
}

// Two runs at once on one database: the second stops at once with exit 5
// naming the first, runs none of its steps and records nothing.
func TestConcurrentRunIsBusy(t *testing.T) {
	db := fixture(t)
	started, release := make(chan struct{}), make(chan struct{})
	var sends sync.Map
	blocking := pipeline.Step{Name: "alert", Run: func(ctx context.Context, env pipeline.Env) (pipeline.Result, error) {
		sends.Store(env.RunID, true)
		close(started)
		<-release
		return pipeline.Result{}, nil
	}}
	done := make(chan error, 1)
	go func() {
		_, err := pipeline.Run(context.Background(), deps(db, nil), pipeline.Options{AsOf: asOf, RunID: "first", Steps: []pipeline.Step{blocking}})
		done <- err
	}()
	<-started

	secondRan := false
	second := pipeline.Step{Name: "alert", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
		secondRan = true
		return pipeline.Result{}, nil
	}}
	begin := time.Now()
	sum, err := pipeline.Run(context.Background(), deps(db, nil), pipeline.Options{AsOf: asOf, RunID: "second", Steps: []pipeline.Step{second}})
	if waited := time.Since(begin); waited > 5*time.Second {
		t.Errorf("the second run waited %v, want it to stop at once", waited)
	}
	if exitcode.Of(err) != exitcode.Busy || !errors.Is(err, runlock.ErrBusy) || !strings.Contains(err.Error(), "run first") {
		t.Errorf("second Run = %v (exit %d), want exit 5 naming run first", err, exitcode.Of(err))
	}
	if sum.Status != pipeline.Busy || sum.Recorded || secondRan {
		t.Errorf("second summary = %+v (ran %v), want busy, unrecorded, no step run", sum, secondRan)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("first Run: %v", err)
	}
	if rows := runs(t, db); len(rows) != 1 || rows[0].id != "first" {
		t.Errorf("crm.pipeline_runs = %+v, want only the first run", rows)
	}
}

func TestDeadRunIsMarkedAbandoned(t *testing.T) {
	db := fixture(t)
	if _, err := pipeline.Run(context.Background(), deps(db, nil), pipeline.Options{AsOf: asOf, RunID: "old",
		Steps: []pipeline.Step{step("x", pipeline.Result{}, nil)}}); err != nil {
		t.Fatal(err)
	}
	// Simulate a run killed mid-way: its row stays "running".
	conn, _ := sql.Open("duckdb", db)
	if _, err := conn.Exec(`UPDATE crm.pipeline_runs SET status = 'running', finished_at = NULL WHERE run_id = 'old'`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if _, err := pipeline.Run(context.Background(), deps(db, nil), pipeline.Options{AsOf: asOf, RunID: "new",
		Steps: []pipeline.Step{step("x", pipeline.Result{}, nil)}}); err != nil {
		t.Fatal(err)
	}
	rows := runs(t, db)
	if len(rows) != 2 || rows[0].status != "abandoned" || !rows[0].finished.Valid || !strings.Contains(rows[0].errText.String, "process ended") || rows[1].status != "succeeded" {
		t.Errorf("crm.pipeline_runs = %+v, want old abandoned with a reason, new succeeded", rows)
	}
}

func TestCancelledRunIsRecorded(t *testing.T) {
	db := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	next := false
	sum, err := pipeline.Run(ctx, deps(db, nil), pipeline.Options{AsOf: asOf, Steps: []pipeline.Step{
		{Name: "slow", Run: func(ctx context.Context, _ pipeline.Env) (pipeline.Result, error) {
			cancel()
			<-ctx.Done()
			return pipeline.Result{Counts: map[string]int{"kept": 3}}, ctx.Err()
		}},
		{Name: "next", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
			next = true
			return pipeline.Result{}, nil
		}},
	}})
	if err == nil || next {
		t.Fatalf("Run = %v, next step ran %v; want an error and no next step", err, next)
	}
	if sum.Status != pipeline.Cancelled || !sum.Recorded {
		t.Errorf("summary = %+v, want cancelled and recorded", sum)
	}
	if rows := runs(t, db); len(rows) != 1 || rows[0].status != "cancelled" || !strings.Contains(rows[0].steps, `"kept":3`) {
		t.Errorf("crm.pipeline_runs = %+v, want the cancelled run with its counts", rows)
	}
}

func TestPanickingStepFailsTheRunWithoutCrashing(t *testing.T) {
	db := fixture(t)
	sum, err := pipeline.Run(context.Background(), deps(db, nil), pipeline.Options{AsOf: asOf, Steps: []pipeline.Step{
		{Name: "buggy", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) { panic("nil map") }},
	}})
	if exitcode.Of(err) != exitcode.Failure || sum.Status != pipeline.Failed || !strings.Contains(sum.Error, "nil map") {
		t.Errorf("Run = %+v, %v; want a failure naming the panic", sum, err)
	}
	if rows := runs(t, db); len(rows) != 1 || rows[0].status != "failed" {
		t.Errorf("crm.pipeline_runs = %+v, want one failed run", rows)
	}
}

func TestBadStepListIsRefused(t *testing.T) {
	for _, steps := range [][]pipeline.Step{nil, {step("a", pipeline.Result{}, nil), step("a", pipeline.Result{}, nil)}, {{Name: "nil func"}}} {
		if _, err := pipeline.Run(context.Background(), deps("unused.duckdb", nil), pipeline.Options{Steps: steps}); err == nil {
			t.Errorf("Run(%d steps) = nil, want an error", len(steps))
		}
	}
}
