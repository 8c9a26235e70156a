package history_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/history"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

func day(s string) time.Time {
	d, _ := time.Parse(time.DateOnly, s)
	return d
}

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func segmentAsOf(t *testing.T, st *store.Store, d string) {
	t.Helper()
	p := segment.Params{AsOf: day(d), HighDays: 7, MediumDays: 30}
	if _, err := segment.Run(context.Background(), st, p, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestDiffListsTierChangesStrongestFirst(t *testing.T) {
	crm := crmtest.New(t)
	// up: LOW on 04-10, HIGH on 04-30.
	crm.Company("up", "up.com", "")
	crm.News("up.com", "2024-04-29", "news")
	crm.Visit("x@up.com", "2024-04-29")
	// down: MEDIUM on 04-10 (news 03-20), LOW on 04-30.
	crm.Company("down", "down.com", "")
	crm.News("down.com", "2024-03-20", "old news")
	// same: LOW both times.
	crm.Company("same", "same.com", "")
	crm.Close()
	st := open(t, crm.Path)
	segmentAsOf(t, st, "2024-04-10")
	// A company added later appears only on the second date.
	if _, err := st.DB.Exec(`INSERT INTO crm.companies VALUES ('new', '', 'new.com', 'l', 'd')`); err != nil {
		t.Fatal(err)
	}
	segmentAsOf(t, st, "2024-04-30")

	got, err := history.Diff(context.Background(), st, day("2024-04-10"), day("2024-04-30"))
	if err != nil {
		t.Fatal(err)
	}
	want := []history.Change{
		{CompanyID: "up", Domain: "up.com", From: "LOW", To: "HIGH"},
		{CompanyID: "down", Domain: "down.com", From: "MEDIUM", To: "LOW"},
		{CompanyID: "new", Domain: "new.com", From: "", To: "LOW"},
	}
	if len(got) != len(want) {
		t.Fatalf("Diff = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got[0].Direction() != "up" || got[1].Direction() != "down" || got[2].Direction() != "up" {
		t.Errorf("directions = %s %s %s, want up down up", got[0].Direction(), got[1].Direction(), got[2].Direction())
	}
	// The same date twice: nothing changed.
	if same, err := history.Diff(context.Background(), st, day("2024-04-30"), day("2024-04-30")); err != nil || len(same) != 0 {
		t.Errorf("Diff(d, d) = %v, %v; want nothing", same, err)
	}
}

func TestDiffNamesMissingDates(t *testing.T) {
	crm := crmtest.New(t)
	crm.Company("a", "a.com", "")
	crm.Close()
	st := open(t, crm.Path)
	_, err := history.Diff(context.Background(), st, day("2024-04-10"), day("2024-04-30"))
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "buying_intent_history") {
		t.Errorf("Diff before any segmentation = %v, want exit 3 naming the table", err)
	}
	segmentAsOf(t, st, "2024-04-30")
	_, err = history.Diff(context.Background(), st, day("2024-04-10"), day("2024-04-30"))
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "2024-04-10") || !strings.Contains(err.Error(), "have: 2024-04-30") {
		t.Errorf("Diff with an unknown date = %v, want exit 3 naming it and the dates there are", err)
	}
}

func TestRunsNewestFirst(t *testing.T) {
	crm := crmtest.New(t)
	crm.Close()
	st := open(t, crm.Path)
	if runs, err := history.Runs(context.Background(), st, 10); err != nil || len(runs) != 0 {
		t.Fatalf("Runs before any run = %v, %v; want none", runs, err)
	}
	st.Close()

	clock := time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	ok := pipeline.Step{Name: "segment", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
		return pipeline.Result{Segments: map[string]int{"HIGH": 1}}, nil
	}}
	bad := pipeline.Step{Name: "alert", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
		return pipeline.Result{}, exitcode.Wrap(exitcode.Partial, errors.New("1 alert failed"))
	}}
	for i, steps := range [][]pipeline.Step{{ok}, {ok, bad}} {
		_, _ = pipeline.Run(context.Background(), pipeline.Deps{Open: pipeline.Database(crm.Path), Now: now},
			pipeline.Options{AsOf: day("2024-04-30"), RunID: []string{"r1", "r2"}[i], Trigger: "schedule", Steps: steps})
	}
	st = open(t, crm.Path)
	runs, err := history.Runs(context.Background(), st, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].RunID != "r2" || runs[1].RunID != "r1" {
		t.Fatalf("Runs = %+v, want r2 then r1", runs)
	}
	r2 := runs[0]
	if r2.Status != pipeline.Partial || r2.ExitCode != exitcode.Partial || r2.AsOf != "2024-04-30" || r2.Trigger != "schedule" ||
		!strings.Contains(r2.Error, "1 alert failed") || len(r2.Steps) != 2 || r2.Steps[0].Segments["HIGH"] != 1 || r2.PID == 0 || r2.Duration() <= 0 {
		t.Errorf("r2 = %+v, want a partial run with its steps", r2)
	}
	if limited, _ := history.Runs(context.Background(), st, 1); len(limited) != 1 {
		t.Errorf("Runs(limit 1) gave %d runs", len(limited))
	}
}
