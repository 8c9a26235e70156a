package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

func (a *app) explainCommand() *cobra.Command {
	var rules segmentFlags
	var format string
	cmd := &cobra.Command{
		Use:   "explain <company id | domain>",
		Short: "Show why a company has its buying-intent segment",
		Long: `explain shows, for one company as of --as-of, the website visits and news
publications inside each window, the most recent ones before it, and what is
missing for the next tier. It only reads the database.`,
		Example: `  intentalert explain cummings.net --as-of 2024-04-30
  intentalert explain 5355564e-bf45-4e91-b17a-3394349bf1fa --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			p := a.params(rules)
			if err := p.Validate(); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.open(ctx, store.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			exps, err := segment.Explain(ctx, st, p, args[0])
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a, exps)
			}
			for i, e := range exps {
				if i > 0 {
					fmt.Fprintln(a.streams.Out)
				}
				printExplanation(a.streams.Out, e)
			}
			return nil
		},
	}
	rules.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output: text or json")
	return cmd
}

func printExplanation(w io.Writer, e segment.Explanation) {
	fmt.Fprintf(w, "Company %s\n  domain:  %s\n  address: %s\n", e.CompanyID, orNone(e.Domain), orNone(e.Address))
	fmt.Fprintf(w, "Segment as of %s: %s\n", e.AsOf, e.BuyingIntent)
	printWindow(w, "Website visits", e.VisitsHigh, func(ev segment.Event) string { return ev.Visitor })
	printWindow(w, "News", e.NewsHigh, newsLine)
	printWindow(w, "News", e.NewsMedium, newsLine)
	if e.NextTier != "" {
		fmt.Fprintf(w, "To reach %s it needs %s.\n", e.NextTier, e.MissingForNext)
	} else {
		fmt.Fprintln(w, "HIGH is the top tier.")
	}
}

func newsLine(ev segment.Event) string { return fmt.Sprintf("%q %s", ev.Headline, ev.URL) }

func printWindow(w io.Writer, what string, win segment.Window, line func(segment.Event) string) {
	fmt.Fprintf(w, "%s within %d days (%s to %s): %d\n", what, win.Days, win.From, win.To, len(win.Inside))
	for _, ev := range win.Inside {
		fmt.Fprintf(w, "  %s  %s\n", ev.Date, line(ev))
	}
	if win.Before != nil {
		fmt.Fprintf(w, "  latest before: %s  %s\n", win.Before.Date, line(*win.Before))
	} else if len(win.Inside) == 0 {
		fmt.Fprintln(w, "  none earlier either")
	}
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}
