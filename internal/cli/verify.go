package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/providers"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

// verifyFlags are verify's settings, shared with commands that run the
// verification step.
type verifyFlags struct {
	segments     string
	provider     string
	file         string
	keyFile      string
	zbURL        string
	zbBulkURL    string
	abstractURL  string
	maxAge       string
	refresh      bool
	accept       string
	budget       int
	allowPartial bool
	mx           bool
	concurrency  int
	timeout      time.Duration
}

func (f *verifyFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.segments, "segments", "HIGH", "buying-intent segments whose contacts are checked, comma-separated")
	fs.StringVar(&f.provider, "provider", providers.Names[0], "verification provider: "+strings.Join(providers.Names, ", "))
	fs.StringVar(&f.file, "file", "", "result file to import with --provider csv (email,is_email_valid)")
	fs.StringVar(&f.keyFile, "api-key-file", "", "file holding the provider's API key (default: $ZEROBOUNCE_API_KEY or $ABSTRACTAPI_API_KEY)")
	fs.StringVar(&f.zbURL, "zerobounce-url", "", "ZeroBounce base URL for validate and getcredits (default https://api.zerobounce.net/v2)")
	fs.StringVar(&f.zbBulkURL, "zerobounce-bulk-url", "", "ZeroBounce base URL for validatebatch (default https://bulkapi.zerobounce.net/v2)")
	fs.StringVar(&f.abstractURL, "abstractapi-url", "", "AbstractAPI base URL (default https://emailvalidation.abstractapi.com/v1)")
	fs.StringVar(&f.maxAge, "max-age", "30d", "an address checked more recently by the same provider is not sent again (e.g. 30d, 12h)")
	fs.BoolVar(&f.refresh, "refresh", false, "check every address again, whatever the cache holds")
	fs.StringVar(&f.accept, "accept", "", "verdicts written back as valid besides valid: catch-all")
	fs.IntVar(&f.budget, "budget", 0, "at most this many addresses sent, so at most this many credits spent (0: no cap)")
	fs.BoolVar(&f.allowPartial, "allow-partial", false, "start even when the provider's credits cannot cover the run, checking what they allow")
	fs.BoolVar(&f.mx, "mx", false, "offline provider: look up each domain's mail exchangers in DNS")
	fs.IntVar(&f.concurrency, "concurrency", emailcheck.DefaultConcurrency, "requests in flight")
	fs.DurationVar(&f.timeout, "timeout", emailcheck.DefaultTimeout, "time limit of one request")
	bindEnv(fs, "provider", "INTENTALERT_VERIFY_PROVIDER")
	bindEnv(fs, "zerobounce-url", "INTENTALERT_ZEROBOUNCE_URL")
	bindEnv(fs, "zerobounce-bulk-url", "INTENTALERT_ZEROBOUNCE_BULK_URL")
	bindEnv(fs, "abstractapi-url", "INTENTALERT_ABSTRACTAPI_URL")
}

// config turns the flags into the provider's settings and the run's
// options. The API key comes from --api-key-file or the environment.
func (f verifyFlags) config() (providers.Config, emailcheck.Options, error) {
	var opts emailcheck.Options
	cfg := providers.Config{
		Provider: strings.ToLower(strings.TrimSpace(f.provider)), File: f.file, MX: f.mx,
		ZeroBounceURL: f.zbURL, ZeroBounceBulkURL: f.zbBulkURL, AbstractAPIURL: f.abstractURL,
	}
	if err := cfg.Validate(); err != nil {
		return cfg, opts, err
	}
	key, err := providers.LoadKey(cfg.Provider, f.keyFile, os.LookupEnv)
	if err != nil {
		return cfg, opts, err
	}
	cfg.APIKey = key
	for _, s := range strings.Split(f.segments, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		switch segment.Tier(s) {
		case segment.High, segment.Medium, segment.Low:
			opts.Segments = append(opts.Segments, s)
		default:
			return cfg, opts, exitcode.Usagef("--segments: %q is not HIGH, MEDIUM or LOW", s)
		}
	}
	if opts.MaxAge, err = parseAge(f.maxAge); err != nil {
		return cfg, opts, exitcode.Usagef("--max-age: %v", err)
	}
	for _, s := range strings.Split(f.accept, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		v, err := emailcheck.ParseVerdict(s)
		if err != nil || (v != emailcheck.CatchAll && v != emailcheck.Valid) {
			return cfg, opts, exitcode.Usagef("--accept: only catch-all can count as valid besides valid, got %q", s)
		}
		if v == emailcheck.CatchAll {
			opts.Accept = []emailcheck.Verdict{v}
		}
	}
	switch {
	case f.budget < 0:
		return cfg, opts, exitcode.Usagef("--budget must be 0 (no cap) or more, got %d", f.budget)
	case f.concurrency < 1:
		return cfg, opts, exitcode.Usagef("--concurrency must be at least 1, got %d", f.concurrency)
	case f.timeout <= 0:
		return cfg, opts, exitcode.Usagef("--timeout must be positive, got %s", f.timeout)
	}
	opts.Refresh, opts.Budget, opts.AllowPartial = f.refresh, f.budget, f.allowPartial
	opts.Concurrency, opts.Timeout = f.concurrency, f.timeout
	return cfg, opts, nil
}

// parseAge parses a duration that may be given in days: "30d", or any
// time.ParseDuration form.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days such as 30d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 30d or 12h", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive (use --refresh to check everything again)", s)
	}
	return d, nil
}

func (a *app) verifyCommand() *cobra.Command {
	var flags verifyFlags
	var format string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the email addresses of the contacts of HIGH companies",
		Long: `verify checks the addresses of the contacts of the companies in --segments
(from crm.customer_buying_intent: run segment first) with a provider:
  offline      no network: syntax, disposable domains, role mailboxes, and
               DNS mail exchangers with --mx (the default)
  zerobounce   the ZeroBounce API; key in $ZEROBOUNCE_API_KEY or --api-key-file
  abstractapi  the AbstractAPI API; key in $ABSTRACTAPI_API_KEY or --api-key-file
  csv          an earlier result, --file PATH (email,is_email_valid)

Addresses are trimmed, lower-cased and de-duplicated; contacts without one
are skipped. Malformed addresses are never sent: they are invalid. Every
answer is recorded in crm.email_verifications as it arrives; an address
checked by the same provider within --max-age is not sent again (unknown
answers are), so a rerun never pays twice. --budget caps the credits of a run;
ZeroBounce's balance is read first and a run it cannot cover is refused
unless --allow-partial.

On success crm.valid_emails(email, is_email_valid) is replaced by one row
per address with a verdict (valid only is true, and catch-all with --accept
catch-all), then <data-dir>/valid_emails.csv. See docs/verification.md.`,
		Example: `  intentalert verify --as-of 2024-04-30
  intentalert verify --provider csv --file ../shared/taktile/valid_emails.csv
  ZEROBOUNCE_API_KEY=... intentalert verify --provider zerobounce --budget 100
  intentalert verify --provider offline --mx --segments HIGH,MEDIUM --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			cfg, opts, err := flags.config()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.open(ctx, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			opts.DataDir, opts.Details, opts.Log, opts.Now = a.dataDir, format == "json", a.log, a.now
			bar := a.progressBar()
			if bar != nil {
				opts.Progress = func(done, total int) {
					bar.ChangeMax(total)
					bar.Set(done)
				}
			}
			sum, err := providers.Verify(ctx, st, cfg, opts)
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				if sum.InScope > 0 {
					a.info("%s", verifySummary(sum, false))
				}
				return err
			}
			a.info("%s", verifySummary(sum, true))
			if format == "json" {
				return writeJSON(a, sum)
			}
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output: text (summary on stderr) or json (summary and per-address verdicts on stdout)")
	return cmd
}

// progressBar returns a progress bar on stderr when it is a terminal and
// messages are wanted, else nil.
func (a *app) progressBar() *progressbar.ProgressBar {
	f, ok := a.streams.Err.(*os.File)
	if a.quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(0,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("verifying"),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}

// verifySummary is the text summary of a run; done says whether it went to
// the end and wrote back.
func verifySummary(s emailcheck.Summary, done bool) string {
	var b strings.Builder
	w := io.Writer(&b)
	fmt.Fprintf(w, "verify: %d addresses in scope (%d contacts of %s companies, %d skipped without an address), provider %s\n",
		s.InScope, s.Contacts, strings.Join(s.Segments, ", "), s.Skipped, s.Provider)
	fmt.Fprintf(w, "  cached %d  checked %d (malformed %d)  unchecked %d  credits spent %d\n",
		s.Cached, s.Checked, s.Malformed, s.Unchecked, s.CreditsSpent)
	fmt.Fprintf(w, "  valid %d  invalid %d  catch-all %d  unknown %d  do-not-mail %d\n",
		s.Valid, s.Invalid, s.CatchAll, s.Unknown, s.DoNotMail)
	if s.OutOfScope > 0 {
		fmt.Fprintf(w, "  recorded %d more addresses of the file outside the scope\n", s.OutOfScope)
	}
	if done {
		fmt.Fprintf(w, "  wrote crm.valid_emails (%d rows, %d valid)", s.Written, s.WrittenValid)
		if s.CSV != "" {
			fmt.Fprintf(w, " and %s", s.CSV)
		}
		fmt.Fprintln(w)
	}
	return b.String()
}

// verifyStep is the pipeline's verify step, run with the settings of f: the
// same work as the verify command, on the run's database and clock.
func (a *app) verifyStep(f *verifyFlags) pipeline.Step {
	return pipeline.Step{Name: pipeline.StepVerify, Run: func(ctx context.Context, env pipeline.Env) (pipeline.Result, error) {
		cfg, opts, err := f.config()
		if err != nil {
			return pipeline.Result{}, err
		}
		opts.DataDir, opts.Log, opts.Now = a.dataDir, env.Log, env.Now
		sum, err := providers.Verify(ctx, env.Store, cfg, opts)
		return pipeline.Result{Counts: sum.Counts(), Verdicts: sum.Verdicts(), Credits: float64(sum.CreditsSpent)}, err
	}}
}
