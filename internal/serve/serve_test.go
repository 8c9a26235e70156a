package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/serve"
)

// fakeClock moves only when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

// Advance moves the clock and fires the timers that are due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// waitFor polls (in real time, briefly) until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// blockedUntil reports whether someone waits for a timer due at t.
func (c *fakeClock) blockedUntil(t time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.waiters {
		if w.at.Equal(t) {
			return true
		}
	}
	return false
}

func (c *fakeClock) waiting() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

func fixture(t *testing.T) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Company("h", "h.com", "")
	crm.News("https://www.h.com", "2024-04-29", "H")
	crm.Visit("a@h.com", "2024-04-29")
	crm.Company("m", "m.com", "")
	crm.News("m.com", "2024-04-10", "M")
	crm.Company("l", "l.com", "")
	crm.Close()
	return crm.Path
}

// harness is a running Server with a recorded RunFunc.
type harness struct {
	clock  *fakeClock
	url    string
	cancel context.CancelFunc
	served chan error

	mu   sync.Mutex
	runs []pipeline.Summary
	asOf []time.Time
}

func (h *harness) summaries() []pipeline.Summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]pipeline.Summary(nil), h.runs...)
}

func start(t *testing.T, cfg serve.Config, clock *fakeClock, steps []pipeline.Step, ready func(context.Context) error) *harness {
	t.Helper()
	db := fixture(t)
	h := &harness{clock: clock, served: make(chan error, 1)}
	run := func(ctx context.Context, asOf time.Time, id, trigger string) (pipeline.Summary, error) {
		sum, err := pipeline.Run(ctx, pipeline.Deps{Open: pipeline.Database(db), Now: clock.Now},
			pipeline.Options{AsOf: asOf, RunID: id, Trigger: trigger, Steps: steps})
		h.mu.Lock()
		h.runs = append(h.runs, sum)
		h.asOf = append(h.asOf, asOf)
		h.mu.Unlock()
		return sum, err
	}
	s, err := serve.New(cfg, run, ready, serve.NewMetrics(), clock, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.url = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.served:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return h
}

// stop cancels Serve, as SIGTERM does through main's signal context, and
// returns what Serve returned.
func (h *harness) stop(t *testing.T) error {
	t.Helper()
	h.cancel()
	select {
	case err := <-h.served:
		h.served <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
		return nil
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func post(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func segmentStep(t *testing.T) pipeline.Step {
	return pipeline.SegmentStep(segment.Params{HighDays: 7, MediumDays: 30}, t.TempDir())
}

func fakeVerifyAndAlert() []pipeline.Step {
	return []pipeline.Step{
		{Name: "verify", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
			return pipeline.Result{Verdicts: map[string]int{"valid": 2, "invalid": 1}, Credits: 3}, nil
		}},
		{Name: "alert", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) {
			return pipeline.Result{Alerts: map[string]map[string]int{"webhook": {"sent": 2}}}, nil
		}},
	}
}

func TestScheduleFiresInItsTimeZoneAndMetricsReflectTheRun(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// Tuesday 2024-04-30, 06:59 in Berlin (04:59 UTC).
	clock := newClock(time.Date(2024, 4, 30, 6, 59, 0, 0, berlin))
	steps := append([]pipeline.Step{segmentStep(t)}, fakeVerifyAndAlert()...)
	h := start(t, serve.Config{Schedule: "0 7 * * 1-5", Location: berlin}, clock, steps, nil)

	fire := time.Date(2024, 4, 30, 7, 0, 0, 0, berlin)
	waitFor(t, "the scheduler to wait for 07:00 Berlin", func() bool { return clock.blockedUntil(fire) })
	fireText := strconv.FormatFloat(float64(fire.Unix()), 'g', -1, 64)
	if _, body := get(t, h.url+"/metrics"); !strings.Contains(body, "intentalert_next_run_timestamp_seconds "+fireText) {
		t.Errorf("/metrics does not announce the next run at %v:\n%s", fire.Unix(), grep(body, "next_run"))
	}
	clock.Advance(time.Minute)
	waitFor(t, "the scheduled run", func() bool { return len(h.summaries()) == 1 })

	sum := h.summaries()[0]
	if sum.Status != pipeline.Succeeded || sum.Trigger != "schedule" || sum.AsOf != "2024-04-30" {
		t.Fatalf("run = %+v, want a succeeded scheduled run as of 2024-04-30", sum)
	}
	waitFor(t, "the metrics of the run", func() bool {
		_, body := get(t, h.url+"/metrics")
		return strings.Contains(body, `intentalert_runs_total{status="succeeded",trigger="schedule"} 1`)
	})
	_, body := get(t, h.url+"/metrics")
	for _, want := range []string{
		`intentalert_companies{segment="HIGH"} 1`,
		`intentalert_companies{segment="MEDIUM"} 1`,
		`intentalert_companies{segment="LOW"} 1`,
		`intentalert_verifications_total{verdict="valid"} 2`,
		`intentalert_verifications_total{verdict="invalid"} 1`,
		`intentalert_verification_credits_spent_total 3`,
		`intentalert_alerts_total{channel="webhook",outcome="sent"} 2`,
		`intentalert_step_duration_seconds_count{step="segment"} 1`,
		`intentalert_step_duration_seconds_count{step="alert"} 1`,
		`intentalert_steps_total{status="succeeded",step="verify"} 1`,
		`intentalert_run_in_progress 0`,
		"intentalert_last_success_timestamp_seconds " + fireText, // the fake clock stood still during the run
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The next run is Wednesday 07:00 Berlin.
	next := time.Date(2024, 5, 1, 7, 0, 0, 0, berlin)
	waitFor(t, "the scheduler to wait again", func() bool { return clock.waiting() > 0 })
	if s, _ := serve.New(serve.Config{Schedule: "0 7 * * 1-5", Location: berlin}, nil, nil, nil, nil, nil); !s.Next(clock.Now()).Equal(next) {
		t.Errorf("Next = %v, want %v", s.Next(clock.Now()), next)
	}
	if err := h.stop(t); err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
}

func TestAsOfIsTheDateInTheScheduleTimeZone(t *testing.T) {
	auckland, err := time.LoadLocation("Pacific/Auckland")
	if err != nil {
		t.Fatal(err)
	}
	// 00:30 on 1 May in Auckland is 12:30 on 30 April in UTC.
	clock := newClock(time.Date(2024, 4, 30, 12, 0, 0, 0, time.UTC))
	noop := pipeline.Step{Name: "noop", Run: func(context.Context, pipeline.Env) (pipeline.Result, error) { return pipeline.Result{}, nil }}
	h := start(t, serve.Config{Schedule: "30 0 * * *", Location: auckland}, clock, []pipeline.Step{noop}, nil)
	waitFor(t, "the scheduler", func() bool { return clock.waiting() > 0 })
	clock.Advance(31 * time.Minute)
	waitFor(t, "the run", func() bool { return len(h.summaries()) == 1 })
	if got := h.summaries()[0].AsOf; got != "2024-05-01" {
		t.Errorf("as-of %s, want 2024-05-01 (the date in Auckland)", got)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	clock := newClock(time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	readyErr := errors.New("database data/db.duckdb does not exist")
	ready := func(context.Context) error { mu.Lock(); defer mu.Unlock(); return readyErr }
	h := start(t, serve.Config{Schedule: "@daily"}, clock, []pipeline.Step{segmentStep(t)}, ready)
	if code, body := get(t, h.url+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
	if code, body := get(t, h.url+"/readyz"); code != 503 || !strings.Contains(body, "does not exist") {
		t.Errorf("/readyz = %d %q, want 503 with the reason", code, body)
	}
	mu.Lock()
	readyErr = nil
	mu.Unlock()
	if code, _ := get(t, h.url+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d, want 200 once the database is there", code)
	}
	if code, _ := get(t, h.url+"/nope"); code != 404 {
		t.Errorf("/nope = %d, want 404", code)
	}
}

func TestPostRunIsDisabledWithoutAToken(t *testing.T) {
	clock := newClock(time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC))
	h := start(t, serve.Config{Schedule: "@daily"}, clock, []pipeline.Step{segmentStep(t)}, nil)
	if code, body := post(t, h.url+"/run", "anything"); code != http.StatusForbidden || !strings.Contains(body, "INTENTALERT_RUN_TOKEN") {
		t.Errorf("POST /run = %d %q, want 403 saying how to enable it", code, body)
	}
	if len(h.summaries()) != 0 {
		t.Error("a run started")
	}
}

func TestPostRunNeedsTheTokenAndRunsOneAtATime(t *testing.T) {
	clock := newClock(time.Date(2024, 4, 30, 9, 0, 0, 0, time.UTC))
	release := make(chan struct{})
	started := make(chan string, 2)
	blocking := pipeline.Step{Name: "alert", Run: func(ctx context.Context, env pipeline.Env) (pipeline.Result, error) {
		started <- env.RunID
		<-release
		return pipeline.Result{}, nil
	}}
	h := start(t, serve.Config{Schedule: "@daily", Token: "s3cret-token"}, clock, []pipeline.Step{blocking}, nil)

	for _, tok := range []string{"", "wrong", "s3cret-toke", "s3cret-token-"} {
		if code, _ := post(t, h.url+"/run", tok); code != http.StatusUnauthorized {
			t.Errorf("POST /run with token %q = %d, want 401", tok, code)
		}
	}
	if code, _ := get(t, h.url+"/run"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /run = %d, want 405", code)
	}
	if code, body := post(t, h.url+"/run?as_of=30-04-2024", "s3cret-token"); code != http.StatusBadRequest {
		t.Errorf("POST /run with a bad as_of = %d %q, want 400", code, body)
	}

	code, body := post(t, h.url+"/run?as_of=2024-04-15", "s3cret-token")
	var resp map[string]string
	json.Unmarshal([]byte(body), &resp)
	if code != http.StatusAccepted || resp["run_id"] == "" || resp["as_of"] != "2024-04-15" {
		t.Fatalf("POST /run = %d %q, want 202 with a run id as of 2024-04-15", code, body)
	}
	if id := <-started; id != resp["run_id"] {
		t.Errorf("the run started with id %s, want %s", id, resp["run_id"])
	}
	code, body = post(t, h.url+"/run", "s3cret-token")
	if code != http.StatusConflict || !strings.Contains(body, resp["run_id"]) {
		t.Errorf("second POST /run = %d %q, want 409 naming the run in progress", code, body)
	}
	close(release)
	waitFor(t, "the run", func() bool { return len(h.summaries()) == 1 })
	if s := h.summaries()[0]; s.Trigger != "http" || s.AsOf != "2024-04-15" || s.Status != pipeline.Succeeded {
		t.Errorf("run = %+v, want a succeeded http run as of 2024-04-15", s)
	}
	// Done: another may start.
	waitFor(t, "the server to be idle", func() bool {
		_, body := get(t, h.url+"/metrics")
		return strings.Contains(body, "intentalert_run_in_progress 0")
	})
	if code, _ := post(t, h.url+"/run", "s3cret-token"); code != http.StatusAccepted {
		t.Errorf("POST /run after the first ended = %d, want 202", code)
	}
	<-started
}

// On shutdown (SIGTERM), a run in progress gets the grace period to finish.
func TestShutdownLetsTheRunFinishWithinGrace(t *testing.T) {
	clock := newClock(time.Date(2024, 4, 30, 6, 59, 0, 0, time.UTC))
	release := make(chan struct{})
	started := make(chan struct{})
	step := pipeline.Step{Name: "alert", Run: func(ctx context.Context, env pipeline.Env) (pipeline.Result, error) {
		close(started)
		select {
		case <-release:
			return pipeline.Result{Alerts: map[string]map[string]int{"webhook": {"sent": 1}}}, nil
		case <-ctx.Done():
			return pipeline.Result{}, ctx.Err()
		}
	}}
	h := start(t, serve.Config{Schedule: "0 7 * * *", Grace: 30 * time.Second}, clock, []pipeline.Step{step}, nil)
	waitFor(t, "the scheduler", func() bool { return clock.waiting() > 0 })
	clock.Advance(time.Minute)
	<-started

	h.cancel() // SIGTERM
	waitFor(t, "shutdown to wait for the grace period", func() bool { return clock.blockedUntil(clock.Now().Add(30 * time.Second)) })
	close(release)
	if err := h.stop(t); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if s := h.summaries(); len(s) != 1 || s[0].Status != pipeline.Succeeded {
		t.Errorf("runs = %+v, want the run succeeded", s)
	}
}

// Past the grace period the run is cancelled: its step stops and the run is
// recorded as cancelled.
func TestShutdownCancelsTheRunAfterGrace(t *testing.T) {
	clock := newClock(time.Date(2024, 4, 30, 6, 59, 0, 0, time.UTC))
	started := make(chan struct{})
	step := pipeline.Step{Name: "verify", Run: func(ctx context.Context, env pipeline.Env) (pipeline.Result, error) {
		close(started)
		<-ctx.Done()
		return pipeline.Result{Counts: map[string]int{"checked": 4}}, context.Cause(ctx)
	}}
	h := start(t, serve.Config{Schedule: "0 7 * * *", Grace: 30 * time.Second}, clock, []pipeline.Step{step}, nil)
	waitFor(t, "the scheduler", func() bool { return clock.waiting() > 0 })
	clock.Advance(time.Minute)
	<-started

	h.cancel()
	graceEnd := clock.Now().Add(30 * time.Second)
	waitFor(t, "the grace timer", func() bool { return clock.blockedUntil(graceEnd) })
	clock.Advance(30 * time.Second)
	if err := h.stop(t); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	s := h.summaries()
	if len(s) != 1 || s[0].Status != pipeline.Cancelled || !s[0].Recorded || !strings.Contains(s[0].Error, "shutting down") {
		t.Errorf("runs = %+v, want one recorded cancelled run saying why", s)
	}
	if st, _ := s[0].Step("verify"); st.Counts["checked"] != 4 {
		t.Errorf("the cancelled step's counts were lost: %+v", st)
	}
}

func TestStopsPromptlyWhenIdle(t *testing.T) {
	clock := newClock(time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC))
	h := start(t, serve.Config{Schedule: "@daily", Grace: time.Hour}, clock, []pipeline.Step{segmentStep(t)}, nil)
	waitFor(t, "the scheduler", func() bool { return clock.waiting() > 0 })
	if err := h.stop(t); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if len(h.summaries()) != 0 {
		t.Error("a run started")
	}
}

func TestBadSchedule(t *testing.T) {
	for _, spec := range []string{"", "0 7 * *", "61 * * * *", "@sometimes"} {
		if _, err := serve.New(serve.Config{Schedule: spec}, nil, nil, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "schedule") {
			t.Errorf("New(schedule %q) = %v, want an error naming the schedule", spec, err)
		}
	}
}

func grep(body, s string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
