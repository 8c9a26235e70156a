package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/segment"
)

// stepFlags are the flags of every step of the pipeline, registered on run
// and serve so that each step can be tuned there as on its own command.
type stepFlags struct {
	segment segmentFlags
	verify  verifyFlags
	alert   alertFlags
}

func (f *stepFlags) register(cmd *cobra.Command) {
	addStepFlags(cmd, []stepRegistrar{
		{pipeline.StepSegment, f.segment.register},
		{pipeline.StepVerify, f.verify.register},
		{pipeline.StepAlert, f.alert.register},
	})
}

// validate checks the steps' flags offline, including that the provider
// has its key and every alert channel its settings (not that they answer).
func (f *stepFlags) validate(a *app) error {
	if err := a.params(f.segment).Validate(); err != nil {
		return err
	}
	if _, _, err := f.verify.config(); err != nil {
		return err
	}
	f.alert.evidenceDays = f.segment.highDays
	return f.alert.validate(a, true)
}

// steps builds the pipeline: segment, verify, then alert. The alert step
// shows the evidence of the same HIGH window segmentation used.
func (a *app) steps(f *stepFlags) []pipeline.Step {
	rules := segment.Params{HighDays: f.segment.highDays, MediumDays: f.segment.mediumDays}
	f.alert.evidenceDays = f.segment.highDays
	return []pipeline.Step{
		pipeline.SegmentStep(rules, a.dataDir),
		a.verifyStep(&f.verify),
		a.alertStep(&f.alert),
	}
}

// stepRegistrar is a step's name and the function registering its flags on
// a command (the same function its own command uses).
type stepRegistrar struct {
	step     string
	register func(*cobra.Command)
}

// aliasAnnotation names, on a flag renamed for a pipeline command, the
// step command's flag it stands for, whose configuration key it falls
// back to.
const aliasAnnotation = "intentalert_config_alias"

// addStepFlags registers the flags of every step on cmd. A flag name two
// steps share (say --concurrency of verify and of alert) is registered once
// per step, prefixed with the step's name (--verify-concurrency,
// --alert-concurrency); such a flag keeps its environment variable, and
// takes the configuration file's key of the plain name when its own is
// absent.
func addStepFlags(cmd *cobra.Command, regs []stepRegistrar) {
	sets := make([]*pflag.FlagSet, len(regs))
	count := map[string]int{}
	for i, r := range regs {
		scratch := &cobra.Command{Use: r.step}
		r.register(scratch)
		sets[i] = scratch.Flags()
		sets[i].VisitAll(func(f *pflag.Flag) { count[f.Name]++ })
	}
	fs := cmd.Flags()
	for i, r := range regs {
		sets[i].VisitAll(func(f *pflag.Flag) {
			if count[f.Name] == 1 && fs.Lookup(f.Name) == nil {
				fs.AddFlag(f)
				return
			}
			renamed := *f
			renamed.Name = r.step + "-" + f.Name
			renamed.Shorthand = ""
			renamed.Usage = r.step + ": " + f.Usage
			renamed.Annotations = maps.Clone(f.Annotations)
			if renamed.Annotations == nil {
				renamed.Annotations = map[string][]string{}
			}
			renamed.Annotations[aliasAnnotation] = []string{f.Name}
			fs.AddFlag(&renamed)
		})
	}
}

func (a *app) runCommand() *cobra.Command {
	var steps stepFlags
	var format string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the whole pipeline for one as-of date: segment, verify, alert",
		Long: `run executes the pipeline for --as-of (default today in UTC): segment, then
verify, then alert, each with the flags of its own command. It stops at the
first step that fails and exits with that step's exit code.

One run at a time per database: run takes a lock first (a lock file beside a
DuckDB database, <db>` + ".run.lock" + `, holding the owner's PID). A second run
started meanwhile exits at once with code 5, naming the run that holds it.
A lock left by a killed process does not block: the kernel releases it.

Every run is recorded in crm.pipeline_runs (run id, as-of, start, end,
status, exit code, each step's counts, error); list them with
` + "`intentalert runs`" + `. Every log line of a run carries its run_id.

A failed run is replayed by running it again for the same --as-of:
segmentation replaces that date's rows, verification reuses its cache, and
alerting never resends what its ledger records as sent.`,
		Example: `  intentalert run --as-of 2024-04-30
  intentalert run --config /etc/intentalert/intentalert.yaml --log-format json
  intentalert run --format json | jq .status`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{checkAnnotation: "true"},
		PreRunE: func(*cobra.Command, []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return steps.validate(a)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			sum, err := pipeline.Run(cmd.Context(),
				pipeline.Deps{Open: pipeline.Database(a.db), Log: a.log, Now: a.now},
				pipeline.Options{AsOf: a.asOf, Trigger: "cli", Steps: a.steps(&steps)})
			if !a.quiet {
				printSummary(a.streams.Err, sum)
			}
			if format == "json" {
				if werr := writeJSON(a, sum); werr != nil && err == nil {
					err = werr
				}
			}
			return err
		},
	}
	steps.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output: text (summary on stderr) or json (summary on stdout)")
	return cmd
}

// printSummary writes the run summary for people.
func printSummary(w io.Writer, s pipeline.Summary) {
	if s.RunID == "" {
		return
	}
	where := "recorded in crm.pipeline_runs"
	if !s.Recorded {
		where = "not recorded"
	}
	fmt.Fprintf(w, "run %s as of %s: %s in %s (exit %d, %s)\n", s.RunID, s.AsOf, s.Status,
		s.Duration().Round(time.Millisecond), s.ExitCode, where)
	for _, st := range s.Steps {
		line := fmt.Sprintf("  %-8s %-10s", st.Name, st.Status)
		if st.Status != pipeline.Skipped {
			line += fmt.Sprintf(" %8s", st.Duration().Round(time.Millisecond))
		}
		if c := describeResult(st.Result); c != "" {
			line += "  " + c
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// describeResult renders a step's numbers on one line.
func describeResult(r pipeline.Result) string {
	var parts []string
	if len(r.Segments) > 0 {
		for _, t := range []segment.Tier{segment.High, segment.Medium, segment.Low} {
			parts = append(parts, fmt.Sprintf("%s %d", t, r.Segments[string(t)]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(r.Verdicts)) {
		if r.Verdicts[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Verdicts[k]))
		}
	}
	if r.Credits > 0 {
		parts = append(parts, fmt.Sprintf("credits %g", r.Credits))
	}
	for _, ch := range slices.Sorted(maps.Keys(r.Alerts)) {
		var outs []string
		for _, o := range slices.Sorted(maps.Keys(r.Alerts[ch])) {
			outs = append(outs, fmt.Sprintf("%s %d", o, r.Alerts[ch][o]))
		}
		if len(outs) == 0 {
			outs = []string{"nothing to send"}
		}
		parts = append(parts, ch+": "+strings.Join(outs, ", "))
	}
	for _, k := range slices.Sorted(maps.Keys(r.Counts)) {
		if r.Counts[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Counts[k]))
		}
	}
	return strings.Join(parts, "  ")
}
