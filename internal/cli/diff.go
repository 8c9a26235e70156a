package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/history"
	"github.com/intentalert/intentalert/internal/store"
)

// diffReport is what `diff --format json` prints.
type diffReport struct {
	From    string           `json:"from"`
	To      string           `json:"to"`
	Changes []history.Change `json:"changes"`
}

func (a *app) diffCommand() *cobra.Command {
	var fromText, toText, format string
	cmd := &cobra.Command{
		Use:   "diff --from D1 [--to D2]",
		Short: "List the companies whose segment changed between two as-of dates",
		Long: `diff compares the segmentations of two as-of dates, as recorded in
crm.buying_intent_history by every ` + "`segment`" + ` and ` + "`run`" + `, and lists the companies
whose segment changed: strongest new segment first, with the direction (up
or down). A company present at only one date shows "-" at the other.
--to defaults to --as-of (today in UTC). A date that was never segmented is
an error (exit 3) listing the dates there are.`,
		Example: `  intentalert diff --from 2024-04-23 --to 2024-04-30
  intentalert diff --from 2024-04-23 --to 2024-04-30 --format json | jq '.changes[] | select(.to == "HIGH")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if fromText == "" {
				return exitcode.Usagef("--from is required")
			}
			from, err := parseDate(fromText)
			if err != nil {
				return exitcode.Usagef("--from: %v", err)
			}
			to := a.asOf
			if toText != "" {
				if to, err = parseDate(toText); err != nil {
					return exitcode.Usagef("--to: %v", err)
				}
			}
			ctx := cmd.Context()
			st, err := a.open(ctx, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			changes, err := history.Diff(ctx, st, from, to)
			if err != nil {
				return err
			}
			rep := diffReport{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Changes: changes}
			up := 0
			for _, c := range changes {
				if c.Direction() == "up" {
					up++
				}
			}
			a.info("%d companies changed segment between %s and %s: %d up, %d down\n",
				len(changes), rep.From, rep.To, up, len(changes)-up)
			if format == "json" {
				return writeJSON(a, rep)
			}
			if len(changes) == 0 {
				return nil
			}
			tw := tabwriter.NewWriter(a.streams.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "COMPANY\tDOMAIN\t%s\t%s\tCHANGE\n", rep.From, rep.To)
			for _, c := range changes {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.CompanyID, dash(c.Domain), dash(c.From), dash(c.To), c.Direction())
			}
			if err := tw.Flush(); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&fromText, "from", "", "the earlier as-of date, YYYY-MM-DD (required)")
	cmd.Flags().StringVar(&toText, "to", "", "the later as-of date, YYYY-MM-DD (default --as-of)")
	cmd.Flags().StringVar(&format, "format", "text", "output: text (a table) or json")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
