package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/intentalert/intentalert/internal/config"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/history"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/serve"
	"github.com/intentalert/intentalert/internal/store"
)

// DefaultSchedule runs the pipeline at 07:00 on weekdays.
const DefaultSchedule = "0 7 * * 1-5"

type serveOptions struct {
	steps    stepFlags
	schedule string
	timeZone string
	listen   string
	grace    time.Duration

	loc *time.Location
}

func (o *serveOptions) validate(a *app) error {
	if _, err := serve.ParseSchedule(o.schedule); err != nil {
		return exitcode.Usagef("--schedule: %v", err)
	}
	loc, err := time.LoadLocation(o.timeZone)
	if err != nil {
		return exitcode.Usagef("--time-zone %q is not a time zone (want an IANA name such as Europe/Berlin, or UTC)", o.timeZone)
	}
	o.loc = loc
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return exitcode.Usagef("--listen %q: want host:port, such as 127.0.0.1:9464: %v", o.listen, err)
	}
	if o.grace < 0 {
		return exitcode.Usagef("--shutdown-grace must not be negative, got %s", o.grace)
	}
	if _, _, err := config.LookupSecret(os.LookupEnv, config.RunTokenEnv); err != nil {
		return err
	}
	return o.steps.validate(a)
}

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the pipeline on a schedule and serve health, readiness and metrics",
		Long: `serve is the long-running mode: it runs the pipeline (as ` + "`intentalert run`" + `
does, with the same flags) on a cron schedule, and serves over HTTP:

  GET  /healthz   liveness: 200 while the process runs
  GET  /readyz    readiness: 200 when the database can be reached, else 503
  GET  /metrics   Prometheus metrics: runs, step durations, companies per
                  segment, verifications by verdict and credits, alerts by
                  channel and outcome, last successful run
  POST /run       start a run now (optional ?as_of=YYYY-MM-DD); disabled
                  unless INTENTALERT_RUN_TOKEN (or INTENTALERT_RUN_TOKEN_FILE)
                  is set, and then only with "Authorization: Bearer <token>"

--schedule takes five cron fields (minute hour day-of-month month
day-of-week) or a descriptor such as @daily, read in --time-zone. Each run's
as-of date is the date it starts on in that time zone. A run that would
start while another is in progress is skipped; runs missed while serve was
down are not caught up (run them with ` + "`intentalert run --as-of D`" + `).

On SIGTERM or Ctrl-C serve stops scheduling, lets a run in progress finish
for up to --shutdown-grace, then cancels it (its current step stops cleanly
and the run is recorded as cancelled) and exits 0.`,
		Example: `  intentalert serve --schedule "0 7 * * 1-5" --time-zone Europe/Berlin
  INTENTALERT_LISTEN=0.0.0.0:9464 intentalert serve --config /etc/intentalert/intentalert.yaml --log-format json
  curl -s localhost:9464/metrics | grep intentalert_`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{checkAnnotation: "true"},
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if f := cmd.Flags().Lookup("as-of"); f != nil && f.Changed {
				return exitcode.Usagef("serve takes no --as-of (from %s): each run's as-of is the date it starts on; use `intentalert run --as-of D` for a given date", sourceOf(f))
			}
			return o.validate(a)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), &o) },
	}
	o.steps.register(cmd)
	fs := cmd.Flags()
	fs.StringVar(&o.schedule, "schedule", DefaultSchedule, "when to run: cron fields (minute hour day-of-month month day-of-week) or @daily, @hourly, ...")
	fs.StringVar(&o.timeZone, "time-zone", "UTC", "time zone of the schedule and of each run's as-of date (IANA name)")
	fs.StringVar(&o.listen, "listen", serve.DefaultListen, "address for /healthz, /readyz, /metrics and POST /run")
	fs.DurationVar(&o.grace, "shutdown-grace", 25*time.Second, "on SIGTERM, how long a run in progress may go on before it is cancelled")
	bindEnv(fs, "schedule", "INTENTALERT_SCHEDULE")
	bindEnv(fs, "time-zone", "INTENTALERT_TIME_ZONE")
	bindEnv(fs, "listen", "INTENTALERT_LISTEN")
	bindEnv(fs, "shutdown-grace", "INTENTALERT_SHUTDOWN_GRACE")
	return cmd
}

func (a *app) serve(ctx context.Context, o *serveOptions) error {
	token, tokenSource, err := config.LookupSecret(os.LookupEnv, config.RunTokenEnv)
	if err != nil {
		return err
	}
	metrics := serve.NewMetrics()
	if t, err := lastSuccess(ctx, a.db); err != nil {
		a.log.Debug("no last successful run to start the metrics from", "error", err)
	} else {
		metrics.SetLastSuccess(t)
	}
	run := func(ctx context.Context, asOf time.Time, runID, trigger string) (pipeline.Summary, error) {
		return pipeline.Run(ctx, pipeline.Deps{Open: pipeline.Database(a.db), Log: a.log, Now: a.now},
			pipeline.Options{AsOf: asOf, RunID: runID, Trigger: trigger, Steps: a.steps(&o.steps)})
	}
	srv, err := serve.New(serve.Config{Schedule: o.schedule, Location: o.loc, Token: token, Grace: o.grace},
		run, readiness(a.db), metrics, serve.WallClock, a.log)
	if err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	if token != "" {
		a.log.Info("POST /run enabled", "token_from", tokenSource)
		if host, _, _ := net.SplitHostPort(o.listen); !isLoopback(host) {
			a.log.Warn("POST /run is reachable beyond this host without TLS: put serve behind a TLS proxy or restrict the port", "listen", o.listen)
		}
	}
	return srv.Serve(ctx, ln)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// readiness reports whether the database can be reached. For a DuckDB
// file it checks the file, without opening it (a run may hold its lock);
// for a database server it connects.
func readiness(dsn string) func(context.Context) error {
	return func(ctx context.Context) error {
		if !strings.Contains(dsn, "://") {
			return store.CheckDuckDBFile(dsn)
		}
		st, err := store.Open(ctx, dsn, store.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		return st.Close()
	}
}

// lastSuccess reads when the last successful run finished.
func lastSuccess(ctx context.Context, dsn string) (time.Time, error) {
	if !strings.Contains(dsn, "://") {
		if err := store.CheckDuckDBFile(dsn); err != nil {
			return time.Time{}, err
		}
	}
	st, err := store.Open(ctx, dsn, store.Options{ReadOnly: true})
	if err != nil {
		return time.Time{}, err
	}
	defer st.Close()
	runs, err := history.Runs(ctx, st, 200)
	if err != nil {
		return time.Time{}, err
	}
	for _, r := range runs {
		if r.Status == pipeline.Succeeded {
			return r.FinishedAt, nil
		}
	}
	return time.Time{}, errors.New("no successful run recorded")
}
