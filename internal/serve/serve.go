// Package serve is intentalert's long-running mode: it runs the pipeline on
// a cron schedule in a time zone, and serves /healthz, /readyz, /metrics
// and, when a token is configured, POST /run to start a run on demand.
package serve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"

	"github.com/intentalert/intentalert/internal/pipeline"

	_ "time/tzdata" // time zones work in minimal container images too
)

// DefaultListen is where serve listens unless told otherwise: loopback
// only, so that nothing is exposed by accident.
const DefaultListen = "127.0.0.1:9464"

// Clock is the time source of the scheduler, injected so that tests need not
// wait.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// WallClock is the real clock.
var WallClock Clock = wallClock{}

// RunFunc runs the pipeline once. serve chooses the run id (so that POST
// /run can answer with it), the as-of date and the trigger.
type RunFunc func(ctx context.Context, asOf time.Time, runID, trigger string) (pipeline.Summary, error)

// Config tunes a Server.
type Config struct {
	// Schedule is a cron expression: five fields (minute hour day-of-month
	// month day-of-week) or a descriptor such as @daily.
	Schedule string
	// Location is the time zone of the schedule and of the as-of date of
	// each run (the date the run starts on, there). Nil means UTC.
	Location *time.Location
	// Token enables POST /run: requests must carry "Authorization: Bearer
	// <Token>". Empty disables the endpoint.
	Token string
	// Grace is how long a run in progress may go on after shutdown begins
	// before it is cancelled (its current step then stops cleanly).
	Grace time.Duration
}

// ParseSchedule parses a cron expression as Config.Schedule takes it.
func ParseSchedule(spec string) (cron.Schedule, error) {
	p := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	s, err := p.Parse(strings.TrimSpace(spec))
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v", spec, err)
	}
	return s, nil
}

// Server runs the schedule and the HTTP endpoints.
type Server struct {
	cfg     Config
	sched   cron.Schedule
	run     RunFunc
	ready   func(context.Context) error
	clock   Clock
	log     *slog.Logger
	metrics *Metrics

	mu      sync.Mutex
	current string // the id of the run in progress, "" when none
	done    chan struct{}
	runCtx  context.Context
	wg      sync.WaitGroup
}

// New returns a Server. ready reports whether the database can be reached
// (for /readyz); clock and log may be nil (the wall clock, no logs).
func New(cfg Config, run RunFunc, ready func(context.Context) error, m *Metrics, clock Clock, log *slog.Logger) (*Server, error) {
	sched, err := ParseSchedule(cfg.Schedule)
	if err != nil {
		return nil, err
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if clock == nil {
		clock = WallClock
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = NewMetrics()
	}
	if ready == nil {
		ready = func(context.Context) error { return nil }
	}
	return &Server{cfg: cfg, sched: sched, run: run, ready: ready, clock: clock, log: log, metrics: m}, nil
}

// Next returns when the schedule fires next after t.
func (s *Server) Next(t time.Time) time.Time { return s.sched.Next(t.In(s.cfg.Location)) }

// maxWait caps one wait of the scheduler, so that a wall clock that jumps
// (a suspended VM, a corrected clock) delays a run by at most this much.
const maxWait = time.Minute

// Serve serves HTTP on ln and runs the schedule until ctx is done. Then it
// stops scheduling, lets a run in progress finish within the grace period
// (then cancels it and waits for it to stop), shuts the HTTP server down
// and returns nil. An error means the HTTP server failed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	runCtx, cancelRuns := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelRuns(nil)
	s.mu.Lock()
	s.runCtx = runCtx
	s.mu.Unlock()

	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	httpErr := make(chan error, 1)
	go func() { httpErr <- srv.Serve(ln) }()
	s.log.Info("serving", "listen", ln.Addr().String(), "schedule", s.cfg.Schedule, "time_zone", s.cfg.Location.String(),
		"post_run", s.cfg.Token != "", "next_run", s.Next(s.clock.Now()).Format(time.RFC3339))

	schedCtx, stopSchedule := context.WithCancel(ctx)
	defer stopSchedule()
	schedDone := make(chan struct{})
	go func() {
		defer close(schedDone)
		s.schedule(schedCtx)
	}()

	var err error
	select {
	case <-ctx.Done():
	case err = <-httpErr:
		err = fmt.Errorf("http server on %s: %w", ln.Addr(), err)
	}
	stopSchedule()
	<-schedDone
	s.log.Info("shutting down", "reason", shutdownReason(ctx, err))
	s.finishRuns(cancelRuns)
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e := srv.Shutdown(sctx); e != nil && err == nil {
		err = fmt.Errorf("http server shutdown: %w", e)
	}
	s.log.Info("stopped")
	return err
}

func shutdownReason(ctx context.Context, err error) string {
	if err != nil {
		return err.Error()
	}
	if c := context.Cause(ctx); c != nil {
		return c.Error()
	}
	return "done"
}

// finishRuns waits up to the grace period for a run in progress, then
// cancels it and waits until it has stopped.
func (s *Server) finishRuns(cancelRuns context.CancelCauseFunc) {
	s.mu.Lock()
	id, done := s.current, s.done
	s.mu.Unlock()
	if id != "" {
		s.log.Info("waiting for the run in progress", "run_id", id, "grace", s.cfg.Grace)
		select {
		case <-done:
		case <-s.clock.After(s.cfg.Grace):
			s.log.Warn("grace period over: cancelling the run in progress; its current step stops and the run is recorded as cancelled", "run_id", id)
			cancelRuns(errors.New("serve is shutting down"))
		}
	}
	s.wg.Wait()
}

// schedule starts runs on the schedule until ctx is done. A run that would
// start while another is in progress is skipped; runs missed while the
// process was down are not caught up.
func (s *Server) schedule(ctx context.Context) {
	for {
		now := s.clock.Now()
		next := s.Next(now)
		s.metrics.nextRun.Set(unix(next))
		for now.Before(next) {
			select {
			case <-ctx.Done():
				return
			case <-s.clock.After(min(next.Sub(now), maxWait)):
			}
			now = s.clock.Now()
		}
		asOf := dateIn(next, s.cfg.Location)
		if id, err := s.start("schedule", asOf); err != nil {
			s.log.Warn("scheduled run skipped", "scheduled_for", next.Format(time.RFC3339), "reason", err.Error(), "run_in_progress", id)
		}
	}
}

// dateIn is the calendar date of t in loc, as the midnight UTC that the
// pipeline's as-of dates are.
func dateIn(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// errInProgress is returned by start when a run is in progress.
var errInProgress = errors.New("a run is in progress")

// start begins a run in the background, unless one is in progress (then it
// returns that run's id and errInProgress).
func (s *Server) start(trigger string, asOf time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != "" {
		return s.current, errInProgress
	}
	if s.runCtx == nil || s.runCtx.Err() != nil {
		return "", errors.New("serve is shutting down")
	}
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new run id: %w", err)
	}
	id := u.String()
	s.current, s.done = id, make(chan struct{})
	s.metrics.running.Set(1)
	s.wg.Add(1)
	ctx, done := s.runCtx, s.done
	go func() {
		defer s.wg.Done()
		sum, err := s.run(ctx, asOf, id, trigger)
		if sum.RunID == "" { // the pipeline refused before starting
			sum = pipeline.Summary{RunID: id, Trigger: trigger, Status: pipeline.Failed}
		}
		s.metrics.Observe(sum)
		if err != nil && sum.Status != pipeline.Busy {
			s.log.Debug("run ended with an error", "run_id", id, "error", err.Error())
		}
		s.mu.Lock()
		s.current = ""
		s.metrics.running.Set(0)
		s.mu.Unlock()
		close(done)
	}()
	return id, nil
}

// Handler serves the HTTP endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		text(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			text(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		text(w, http.StatusOK, "ready")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{
		Registry: s.metrics.Registry, ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("POST /run", s.postRun)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		text(w, http.StatusOK, "intentalert serve: GET /healthz, GET /readyz, GET /metrics, POST /run")
	})
	return mux
}

// postRun starts a run now: POST /run[?as_of=YYYY-MM-DD] with the bearer
// token. It answers 202 with the run id, or 409 when a run is in progress.
func (s *Server) postRun(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Token == "" {
		text(w, http.StatusForbidden, "POST /run is disabled: set INTENTALERT_RUN_TOKEN (or INTENTALERT_RUN_TOKEN_FILE) to enable it")
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="intentalert"`)
		text(w, http.StatusUnauthorized, "missing or wrong bearer token")
		s.log.Warn("POST /run refused: bad token", "remote", r.RemoteAddr)
		return
	}
	asOf := dateIn(s.clock.Now(), s.cfg.Location)
	if q := r.URL.Query().Get("as_of"); q != "" {
		d, err := time.Parse(time.DateOnly, q)
		if err != nil {
			text(w, http.StatusBadRequest, fmt.Sprintf("as_of %q is not a date in the form YYYY-MM-DD", q))
			return
		}
		asOf = d
	}
	id, err := s.start("http", asOf)
	switch {
	case errors.Is(err, errInProgress):
		writeJSON(w, http.StatusConflict, map[string]string{"error": "a run is in progress", "run_id": id})
		return
	case err != nil:
		text(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	s.log.Info("run requested over HTTP", "run_id", id, "as_of", asOf.Format(time.DateOnly), "remote", r.RemoteAddr)
	writeJSON(w, http.StatusAccepted, map[string]string{"run_id": id, "as_of": asOf.Format(time.DateOnly), "status": "started"})
}

// authorized compares the bearer token in constant time (hashing both sides
// first, so that not even the length leaks).
func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(prefix):])))
	want := sha256.Sum256([]byte(s.cfg.Token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func text(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
