package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

// segmentFlags are the rules shared by segment, explain and the pipeline.
type segmentFlags struct {
	highDays, mediumDays int
}

func (f *segmentFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.IntVar(&f.highDays, "high-window-days", segment.DefaultHighDays, "HIGH: at least one website visit and one news publication within this many days")
	fs.IntVar(&f.mediumDays, "medium-window-days", segment.DefaultMediumDays, "MEDIUM: at least one news publication within this many days")
	bindEnv(fs, "high-window-days", "INTENTALERT_HIGH_WINDOW_DAYS")
	bindEnv(fs, "medium-window-days", "INTENTALERT_MEDIUM_WINDOW_DAYS")
}

func (a *app) params(f segmentFlags) segment.Params {
	return segment.Params{AsOf: a.asOf, HighDays: f.highDays, MediumDays: f.mediumDays}
}

// segmentReport is what `segment --format json` prints.
type segmentReport struct {
	AsOf       string            `json:"as_of"`
	HighDays   int               `json:"high_window_days"`
	MediumDays int               `json:"medium_window_days"`
	Counts     segment.Counts    `json:"counts"`
	CSV        string            `json:"csv"`
	Companies  []segment.Company `json:"companies"`
}

func (a *app) segmentCommand() *cobra.Command {
	var rules segmentFlags
	var format string
	cmd := &cobra.Command{
		Use:   "segment",
		Short: "Classify every company as HIGH, MEDIUM or LOW buying intent",
		Long: `segment classifies every company as of --as-of:
  HIGH    at least one website visit and one news publication within the last
          --high-window-days (default 7)
  MEDIUM  at least one news publication within the last --medium-window-days
          (default 30)
  LOW     otherwise
"Within the last N days" as of D means D-N < date <= D; later events never count.
News belongs to the company whose domain is the host of company_website; a
visit to the company whose domain follows the visitor's "@".

The result replaces crm.customer_buying_intent and the as-of's rows of
crm.buying_intent_history in one transaction, then <data-dir>/customer_segments.csv.`,
		Example: `  intentalert segment --db data/db.duckdb --as-of 2024-04-30
  intentalert segment --as-of 2024-04-30 --format json | jq .counts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			p := a.params(rules)
			if err := p.Validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.open(ctx, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			counts, path, err := segment.RunAndWriteCSV(ctx, st, p, a.now(), a.dataDir)
			if err != nil {
				return err
			}
			a.info("segmented %d companies as of %s (HIGH: visit and news within %d days; MEDIUM: news within %d days)\n  HIGH %d  MEDIUM %d  LOW %d\n  wrote crm.customer_buying_intent, crm.buying_intent_history and %s\n",
				counts.Total(), p.AsOf.Format(time.DateOnly), p.HighDays, p.MediumDays, counts.High, counts.Medium, counts.Low, path)
			if format != "json" {
				return nil
			}
			rep := segmentReport{AsOf: p.AsOf.Format(time.DateOnly), HighDays: p.HighDays, MediumDays: p.MediumDays,
				Counts: counts, CSV: path, Companies: []segment.Company{}}
			if err := segment.Current(ctx, st, func(c segment.Company) error {
				rep.Companies = append(rep.Companies, c)
				return nil
			}); err != nil {
				return err
			}
			return writeJSON(a, rep)
		},
	}
	rules.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output: text (summary on stderr) or json (document on stdout)")
	return cmd
}

func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.streams.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
