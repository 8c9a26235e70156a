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

func (a *app) runsCommand() *cobra.Command {
	var limit int
	var format string
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recent pipeline runs",
		Long: `runs lists the most recent pipeline runs recorded in crm.pipeline_runs by
` + "`intentalert run`" + ` and ` + "`intentalert serve`" + `, newest first: run id, as-of date,
trigger, start (UTC), duration, status and exit code, and the error of runs
that failed. --format json adds every step's outcome and counts.

Statuses: succeeded; partial (some alerts failed, exit 4); failed; cancelled
(stopped by a signal or shutdown); abandoned (its process died before it
could record the end; found by the next run); running (in progress).`,
		Example: `  intentalert runs
  intentalert runs --limit 1 --format json | jq '.[0].steps'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			if limit < 1 {
				return exitcode.Usagef("--limit must be at least 1, got %d", limit)
			}
			ctx := cmd.Context()
			st, err := a.open(ctx, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := history.Runs(ctx, st, limit)
			if err != nil {
				return err
			}
			if format == "json" {
				if runs == nil {
					runs = []history.Run{}
				}
				return writeJSON(a, runs)
			}
			if len(runs) == 0 {
				a.info("no runs recorded in %s yet: start one with `intentalert run`\n", st.Name)
				return nil
			}
			tw := tabwriter.NewWriter(a.streams.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN ID\tAS OF\tTRIGGER\tSTARTED (UTC)\tDURATION\tSTATUS\tEXIT\tERROR")
			for _, r := range runs {
				dur, exit := "-", "-"
				if !r.FinishedAt.IsZero() {
					dur = r.Duration().Round(time.Millisecond).String()
					exit = fmt.Sprint(r.ExitCode)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.RunID, r.AsOf, r.Trigger,
					r.StartedAt.Format(time.DateTime), dur, r.Status, exit, oneLine(r.Error))
			}
			if err := tw.Flush(); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many runs to list")
	cmd.Flags().StringVar(&format, "format", "text", "output: text (a table) or json")
	return cmd
}
