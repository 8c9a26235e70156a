// Package cli wires intentalert's commands: it parses flags and environment
// variables, opens what each command needs and maps errors to exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/store"
)

// Streams are the process's standard streams: data goes to Out, messages
// to Err.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// envAnnotation marks a flag with the environment variable that sets it.
const envAnnotation = "intentalert_env"

// app holds the global options and the dependencies commands share.
type app struct {
	streams   Streams
	db        string
	asOfText  string
	dataDir   string
	logFormat string
	quiet     bool
	verbose   bool

	asOf time.Time
	log  *slog.Logger
	now  func() time.Time
	// started is set once flags are parsed and a command runs; an error
	// before that is a usage error.
	started bool
}

// Main runs intentalert with args and returns the process exit code.
func Main(ctx context.Context, args []string, streams Streams) int {
	a := &app{streams: streams, now: time.Now}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	code := exitcode.Of(err)
	var coded *exitcode.Error
	if !a.started && !errors.As(err, &coded) {
		code = exitcode.Usage
	}
	msg := oneLine(err.Error())
	if code == exitcode.Usage {
		msg += " (see intentalert --help)"
	}
	fmt.Fprintf(streams.Err, "intentalert: %s\n", msg)
	return code
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "intentalert",
		Short: "Alert the business development team about contacts with high buying intent",
		Long: `intentalert reads a CRM database (companies, contacts, website visits, news
publications, outreach emails), segments every company into HIGH, MEDIUM or LOW
buying intent, verifies the email addresses of the contacts that matter and
alerts the team about HIGH-intent contacts who have not been contacted lately.

Every flag can also be set by the environment variable named in its help,
or by a key of the same name in the configuration file (--config).
Precedence: flag, then environment, then file, then default.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: a.setup,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return exitcode.Wrap(exitcode.Usage, err)
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", "data/db.duckdb", "working database: a DuckDB file path or a postgres:// URL")
	pf.StringVar(&a.asOfText, "as-of", "", "date every time window ends on, YYYY-MM-DD (default today in UTC)")
	pf.StringVar(&a.dataDir, "data-dir", "data", "directory for CSV outputs (created when missing)")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format: text or json")
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "print only warnings and errors")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "print debug messages")
	bindEnv(pf, "db", "INTENTALERT_DB")
	bindEnv(pf, "as-of", "INTENTALERT_AS_OF")
	bindEnv(pf, "data-dir", "INTENTALERT_DATA_DIR")
	bindEnv(pf, "log-format", "INTENTALERT_LOG_FORMAT")
	bindEnv(pf, "quiet", "INTENTALERT_QUIET")
	bindEnv(pf, "verbose", "INTENTALERT_VERBOSE")
	pf.String(configFlag, "", "configuration file (YAML; keys are flag names; never secrets)")
	bindEnv(pf, configFlag, "INTENTALERT_CONFIG")

	root.AddCommand(
		a.initCommand(),
		a.segmentCommand(),
		a.verifyCommand(),
		a.alertCommand(),
		a.explainCommand(),
		a.demoDataCommand(),
		a.demoCommand(),
		a.runCommand(),
		a.serveCommand(),
		a.runsCommand(),
		a.diffCommand(),
		a.configCommand(),
	)
	return root
}

// bindEnv records that the environment variable env sets the flag name, and
// says so in the flag's help.
func bindEnv(fs *pflag.FlagSet, name, env string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("bindEnv: no flag " + name)
	}
	f.Usage += " [$" + env + "]"
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[envAnnotation] = []string{env}
}

// applyEnv sets every flag not given on the command line from its
// environment variable, when that is set.
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		env := f.Annotations[envAnnotation]
		if err != nil || len(env) == 0 || f.Changed {
			return
		}
		v, ok := os.LookupEnv(env[0])
		if !ok {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = exitcode.Usagef("environment variable %s=%q: %v", env[0], v, e)
		}
	})
	return err
}

func (a *app) setup(cmd *cobra.Command, _ []string) error {
	if err := a.applyLayers(cmd); err != nil {
		return err
	}
	if a.quiet && a.verbose {
		return exitcode.Usagef("--quiet and --verbose cannot be used together")
	}
	level := slog.LevelInfo
	if a.quiet {
		level = slog.LevelWarn
	} else if a.verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.log = slog.New(slog.NewTextHandler(a.streams.Err, opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(a.streams.Err, opts))
	default:
		return exitcode.Usagef("--log-format must be text or json, got %q", a.logFormat)
	}
	if a.asOfText == "" {
		a.asOf = dateOf(a.now().UTC())
	} else {
		d, err := parseDate(a.asOfText)
		if err != nil {
			return exitcode.Usagef("--as-of: %v", err)
		}
		a.asOf = d
	}
	a.started = true
	return nil
}

func parseDate(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return d, nil
}

func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// open opens the working database.
func (a *app) open(ctx context.Context, opt store.Options) (*store.Store, error) {
	st, err := store.Open(ctx, a.db, opt)
	if err != nil {
		return nil, err
	}
	a.log.Debug("opened database", "db", st.Name, "dialect", st.Dialect, "read_only", opt.ReadOnly)
	return st, nil
}

// info prints a human message on stderr unless --quiet.
func (a *app) info(format string, args ...any) {
	if a.quiet {
		return
	}
	fmt.Fprintf(a.streams.Err, format, args...)
}

func checkFormat(format string) error {
	if format != "text" && format != "json" {
		return exitcode.Usagef("--format must be text or json, got %q", format)
	}
	return nil
}
