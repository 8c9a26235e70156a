package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/webhook"
	"github.com/intentalert/intentalert/internal/demodata"
	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/providers"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

// demoAsOf is the date the demo data is centred on, so the demo prints the
// same report every day.
var demoAsOf = time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)

func (a *app) demoDataCommand() *cobra.Command {
	var out string
	var opt demodata.Options
	var force bool
	cmd := &cobra.Command{
		Use:   "demo-data",
		Short: "Write a fictitious CRM export, with the real export's schema and mess",
		Long: `demo-data writes a fictitious CRM as a DuckDB file with exactly the real
export's schema, deterministic for a seed, with the export's proportions
scaled to --companies and its mess: URL variants, mixed-case addresses,
visitors who are not contacts, news about companies outside the CRM, events
after the as-of date, malformed, role and disposable addresses. It is
generated inside DuckDB, so a million companies take seconds.`,
		Example: `  intentalert demo-data --out data/db_src.duckdb
  intentalert demo-data --out big.duckdb --companies 1000000 --seed 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return exitcode.Usagef("--out is required")
			}
			if opt.Companies < 1 {
				return exitcode.Usagef("--companies must be at least 1, got %d", opt.Companies)
			}
			opt.AsOf = a.asOf
			if !cmd.Flags().Changed("as-of") && os.Getenv("INTENTALERT_AS_OF") == "" {
				opt.AsOf = demoAsOf
			}
			if force {
				os.Remove(out)
				os.Remove(out + ".wal")
			}
			stats, err := demodata.Generate(cmd.Context(), out, opt)
			if errors.Is(err, fs.ErrExist) {
				return exitcode.Usagef("%s already exists: pass --force to replace it", out)
			}
			if err != nil {
				return err
			}
			a.info("wrote %s: %d companies, %d contacts, %d news, %d visits, %d outreach emails (seed %d, as of %s)\n",
				out, stats.Companies, stats.Contacts, stats.News, stats.Visits, stats.Outreach, opt.Seed, opt.AsOf.Format(time.DateOnly))
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&out, "out", "", "DuckDB file to write (required)")
	fs.IntVar(&opt.Companies, "companies", 100, "number of companies")
	fs.IntVar(&opt.Contacts, "contacts", 0, "number of contacts (0: the export's proportion)")
	fs.IntVar(&opt.News, "news", 0, "number of news publications (0: the export's proportion)")
	fs.IntVar(&opt.Visits, "visits", 0, "number of website visits (0: the export's proportion)")
	fs.IntVar(&opt.Outreach, "outreach", 0, "number of outreach emails (0: the export's proportion)")
	fs.Int64Var(&opt.Seed, "seed", 1, "seed: the same seed writes the same data")
	fs.BoolVar(&force, "force", false, "replace an existing file")
	return cmd
}

func (a *app) demoCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole job on fictitious data: no keys, no network",
		Long: `demo generates a fictitious CRM export in --dir, copies it to a working
database, segments it as of 2024-04-30 (or --as-of), verifies the HIGH
companies' contacts with the offline checker, and delivers the alerts over the
real webhook channel to a small receiver it starts on 127.0.0.1, then shows
what that receiver got. Running it again starts over from the same data.`,
		Example: `  go run ./cmd/intentalert demo
  intentalert demo --dir /tmp/demo`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asOf := demoAsOf
			if cmd.Flags().Changed("as-of") || os.Getenv("INTENTALERT_AS_OF") != "" {
				asOf = a.asOf
			}
			return a.demo(cmd.Context(), dir, asOf)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "demo", "directory for the demo's files")
	return cmd
}

func (a *app) demo(ctx context.Context, dir string, asOf time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	src := filepath.Join(dir, "db_src.duckdb")
	db := filepath.Join(dir, "db.duckdb")
	if err := store.CheckDuckDBFile(src); err != nil {
		os.Remove(src)
		if _, err := demodata.Generate(ctx, src, demodata.Options{Companies: 100, Seed: 1, AsOf: demoAsOf}); err != nil {
			return err
		}
	}
	if err := store.InitDuckDB(ctx, src, db, true); err != nil {
		return err
	}
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	w := a.streams.Out
	day := asOf.Format(time.DateOnly)
	fmt.Fprintf(w, "intentalert demo: a fictitious CRM in %s, as of %s\n\n", dir, day)
	fmt.Fprintf(w, "1. export    %s (generated, never modified)\n", src)
	fmt.Fprintf(w, "2. init      copied to the working database %s\n", db)

	p := segment.Params{AsOf: asOf, HighDays: segment.DefaultHighDays, MediumDays: segment.DefaultMediumDays}
	counts, csvPath, err := segment.RunAndWriteCSV(ctx, st, p, a.now(), dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "3. segment   %d companies: HIGH %d, MEDIUM %d, LOW %d -> %s\n", counts.Total(), counts.High, counts.Medium, counts.Low, csvPath)
	var high []string
	if err := segment.Current(ctx, st, func(c segment.Company) error {
		if c.BuyingIntent == segment.High {
			high = append(high, c.ID)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, id := range high {
		exps, err := segment.Explain(ctx, st, p, id)
		if err != nil {
			return err
		}
		for _, e := range exps {
			fmt.Fprintf(w, "   HIGH %-22s %d visit(s) and %d news in the last %d days\n", e.Domain, len(e.VisitsHigh.Inside), len(e.NewsHigh.Inside), p.HighDays)
		}
	}

	sum, err := providers.Verify(ctx, st, providers.Config{Provider: "offline"},
		emailcheck.Options{DataDir: dir, Log: a.log, Now: a.now})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "4. verify    %d addresses of HIGH contacts, offline checker: %d valid, %d invalid, %d do-not-mail -> %s\n",
		sum.InScope, sum.Valid, sum.Invalid, sum.DoNotMail, sum.CSV)

	inbox, err := startDemoReceiver()
	if err != nil {
		return err
	}
	defer inbox.close()
	hook, err := webhook.New(webhook.Config{URL: inbox.url})
	if err != nil {
		return err
	}
	rep, err := alert.Run(ctx, st, []alert.Channel{hook}, alert.Options{
		Params: alert.Params{AsOf: asOf, OutreachDays: alert.DefaultOutreachDays, CooldownDays: alert.DefaultCooldownDays, EvidenceDays: p.HighDays},
		Now:    a.now, Log: a.log,
	})
	if err != nil {
		return err
	}
	cp := rep.Plan.Channels[0]
	ex := cp.Excluded
	fmt.Fprintf(w, "5. alert     %d sent to the webhook receiver at %s (left out: %d invalid, %d not verified, %d contacted within %d days, %d without address)\n",
		rep.Count(alert.ResultSent), inbox.url, ex.Invalid, ex.NotVerified, ex.RecentOutreach, alert.DefaultOutreachDays, ex.NoAddress)
	got := inbox.received()
	payloads := make([]map[string]string, len(got))
	for i, body := range got {
		if err := json.Unmarshal(body, &payloads[i]); err != nil {
			return fmt.Errorf("demo receiver: payload %d is not JSON: %w", i+1, err)
		}
	}
	// Deliveries run concurrently: show them in a stable order.
	slices.SortFunc(payloads, func(x, y map[string]string) int { return strings.Compare(x["subject"], y["subject"]) })
	fmt.Fprintf(w, "\nThe receiver got %d POST(s) of application/json:\n", len(got))
	for i, payload := range payloads {
		fmt.Fprintf(w, "  - subject: %s\n", payload["subject"])
		if i == 0 {
			pretty, _ := json.MarshalIndent(payload, "    ", "  ")
			fmt.Fprintf(w, "    the whole first payload:\n    %s\n", pretty)
		}
	}
	if err := rep.Err(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nExplore: intentalert explain <domain> --db %s --as-of %s\n", db, day)
	fmt.Fprintf(w, "         intentalert alert --dry-run --format json --db %s --as-of %s\n", db, day)
	return nil
}

// demoReceiver is the webhook endpoint of the demo: it records every POST
// body, as a catcher like webhook.site would.
type demoReceiver struct {
	url    string
	srv    *http.Server
	mu     sync.Mutex
	bodies [][]byte
}

func startDemoReceiver() (*demoReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo receiver: listen on 127.0.0.1: %w", err)
	}
	r := &demoReceiver{url: "http://" + ln.Addr().String() + "/demo-inbox"}
	r.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil || req.Method != http.MethodPost {
			http.Error(w, "want a POST", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	})}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *demoReceiver) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

func (r *demoReceiver) close() { r.srv.Close() }
