package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/channels"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

// alertBackoff is the retry policy of deliveries; tests shorten it.
var alertBackoff = outbound.DefaultBackoff

// alertFlags are the alert step's settings, shared with the commands that
// run it (run and serve register them with register).
type alertFlags struct {
	channels     []string
	webhookURL   string
	to, from     string
	slackChannel string
	outreachDays int
	cooldownDays int
	concurrency  int
	maxAlerts    int
	digest       bool
	timeout      time.Duration
	// evidenceDays is the HIGH window the latest visit and news are shown
	// from: the alert command's --high-window-days; a pipeline sets it
	// from its segment flags (default segment.DefaultHighDays).
	evidenceDays int
}

func (f *alertFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringSliceVar(&f.channels, "channel", []string{channels.Default}, "channel to alert on, repeatable or comma-separated: "+strings.Join(channels.Names(), ", "))
	fs.StringVar(&f.webhookURL, "webhook-url", "", "URL the webhook channel POSTs to; a secret, prefer the environment")
	fs.StringVar(&f.to, "to", alert.DefaultTo, `the payload's "to" and the email recipient`)
	fs.StringVar(&f.from, "from", alert.DefaultFrom, `the payload's "from" and the email sender`)
	fs.StringVar(&f.slackChannel, "slack-channel", "", "Slack channel the bot posts to, with SLACK_BOT_TOKEN (e.g. #biz-dev or C0123456789)")
	fs.IntVar(&f.outreachDays, "outreach-window-days", alert.DefaultOutreachDays, "leave out contacts the team emailed within this many days")
	fs.IntVar(&f.cooldownDays, "cooldown-days", alert.DefaultCooldownDays, "leave out contacts alerted on the same channel within this many days (0: only the same as-of)")
	fs.IntVar(&f.concurrency, "concurrency", alert.DefaultConcurrency, "messages in flight per channel")
	fs.IntVar(&f.maxAlerts, "max-alerts", 0, "safety cap: send at most this many alerts per channel (0: no cap)")
	fs.BoolVar(&f.digest, "digest", false, "send one message listing every contact instead of one message each")
	fs.DurationVar(&f.timeout, "timeout", alert.DefaultTimeout, "time limit of one attempt to deliver one message")
	bindEnv(fs, "channel", "INTENTALERT_CHANNELS")
	bindEnv(fs, "webhook-url", "INTENTALERT_WEBHOOK_URL")
	bindEnv(fs, "to", "INTENTALERT_TO")
	bindEnv(fs, "from", "INTENTALERT_FROM")
	bindEnv(fs, "slack-channel", "INTENTALERT_SLACK_CHANNEL")
	bindEnv(fs, "outreach-window-days", "INTENTALERT_OUTREACH_WINDOW_DAYS")
	bindEnv(fs, "cooldown-days", "INTENTALERT_COOLDOWN_DAYS")
	bindEnv(fs, "max-alerts", "INTENTALERT_MAX_ALERTS")
	bindEnv(fs, "digest", "INTENTALERT_DIGEST")
}

// options turns the flags into the run's options for asOf.
func (f *alertFlags) options(a *app, asOf time.Time) alert.Options {
	days := f.evidenceDays
	if days == 0 {
		days = segment.DefaultHighDays
	}
	return alert.Options{
		Params:      alert.Params{AsOf: asOf, OutreachDays: f.outreachDays, CooldownDays: f.cooldownDays, EvidenceDays: days},
		From:        strings.TrimSpace(f.from),
		To:          strings.TrimSpace(f.to),
		MaxAlerts:   f.maxAlerts,
		Digest:      f.digest,
		Concurrency: f.concurrency,
		Timeout:     f.timeout,
		Rates:       channels.Rates(),
		Now:         a.now,
		Log:         a.log,
	}
}

// channelConfig gathers every channel's settings: the flags, then the
// provider variables and secrets of the environment (NAME_FILE variables
// are resolved into it before).
func (f *alertFlags) channelConfig(a *app) (channels.Config, error) {
	c := channels.Config{Stdout: a.streams.Out}
	if err := channels.FromEnv(os.Getenv, &c); err != nil {
		return c, err
	}
	c.Webhook.URL = strings.TrimSpace(f.webhookURL)
	c.Slack.Channel = f.slackChannel
	c.SetTimeout(f.timeout)
	return c, nil
}

// validate checks the flags offline; with send it also checks that every
// channel named is configured (URLs, credentials: not that they answer).
// The alert command checks the channels when it builds them, at the start
// of a run, so that `config check` does not require them and a dry run
// needs none.
func (f *alertFlags) validate(a *app, send bool) error {
	names, err := channels.Parse(f.channels)
	if err != nil {
		return err
	}
	asOf := a.asOf
	if asOf.IsZero() {
		asOf = dateOf(time.Now().UTC())
	}
	switch {
	case f.concurrency < 1:
		return exitcode.Usagef("--concurrency must be at least 1, got %d", f.concurrency)
	case f.timeout <= 0:
		return exitcode.Usagef("--timeout must be positive, got %s", f.timeout)
	}
	o := f.options(a, asOf).Defaults()
	if err := o.Validate(); err != nil || !send {
		return err
	}
	cfg, err := f.channelConfig(a)
	if err != nil {
		return err
	}
	_, err = channels.Build(names, cfg)
	return scrubErr(err, cfg.Secrets())
}

// build returns the channels named and the secrets to keep out of output.
func (f *alertFlags) build(a *app) ([]alert.Channel, []string, error) {
	names, err := channels.Parse(f.channels)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := f.channelConfig(a)
	if err != nil {
		return nil, nil, err
	}
	chs, err := channels.Build(names, cfg)
	return chs, cfg.Secrets(), scrubErr(err, cfg.Secrets())
}

func scrubErr(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	return exitcode.Wrap(exitcode.Of(err), outbound.ScrubError(err, secrets...))
}

func (a *app) alertCommand() *cobra.Command {
	var flags alertFlags
	var format string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "alert",
		Short: "Alert the team about the contacts of HIGH companies with a valid address",
		Long: `alert tells the business development team about every contact of a company
that is HIGH in crm.customer_buying_intent (run segment first) whose address
is valid in crm.valid_emails (run verify first), except contacts the team
emailed within the last --outreach-window-days (as of D: D-N < sent <= D;
later outreach does not count) and contacts already alerted on the same
channel within --cooldown-days. Addresses are compared trimmed and
case-insensitively; CRM duplicates of an address make one alert.

Each alert names the contact and the company, and says why: the segment,
the latest website visit and news inside the HIGH window, the team's last
outreach (date, sender: the natural owner, subject) or "never contacted",
and the as-of date.

Channels (--channel, repeatable; default webhook):
  webhook  POST application/json {"from","to","subject","message"} to
           --webhook-url / INTENTALERT_WEBHOOK_URL, with an Idempotency-Key
           header, signed with HMAC-SHA256 when INTENTALERT_WEBHOOK_SECRET is set
  slack    SLACK_WEBHOOK_URL (incoming webhook), or SLACK_BOT_TOKEN with
           --slack-channel; Block Kit with every CRM value escaped
  smtp     SMTP_HOST, SMTP_PORT (587 STARTTLS, 465 TLS), SMTP_USERNAME,
           SMTP_PASSWORD: Gmail with an app password, or any server
  stdout   one JSON line per message on standard output
Secrets come from the environment (or NAME_FILE); none is ever printed.

Every delivery is recorded in crm.alert_deliveries, claimed before it is sent
and marked sent after: a rerun for the same --as-of never resends what was
sent; a process killed between a send and its record resends at most that
message, with the same Idempotency-Key. Failed deliveries are retried with
backoff; a rejection fails that alert only. Exit 4 when some alerts were not
delivered, naming them. --dry-run selects and renders everything, sends and
writes nothing, and needs no URL or credential. See docs/alerts.md.`,
		Example: `  INTENTALERT_WEBHOOK_URL=https://webhook.site/<uuid> intentalert alert --as-of 2024-04-30
  intentalert alert --dry-run --format json | jq .payload.subject
  SLACK_WEBHOOK_URL=... intentalert alert --channel slack --channel webhook
  SMTP_HOST=smtp.gmail.com SMTP_USERNAME=me@gmail.com SMTP_PASSWORD=... intentalert alert --channel smtp --digest`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{checkAnnotation: "true"},
		PreRunE: func(*cobra.Command, []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			return flags.validate(a, false)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			o := flags.options(a, a.asOf)
			if dryRun {
				return a.alertDryRun(ctx, &flags, o, format)
			}
			chs, secrets, err := flags.build(a)
			if err != nil {
				return err
			}
			o.Secrets, o.Backoff = secrets, alertBackoff
			st, err := a.open(ctx, store.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := alert.Run(ctx, st, chs, o)
			if err != nil {
				return scrubErr(err, secrets)
			}
			a.info("%s", alertSummary(rep.Plan, rep))
			if format == "json" {
				if err := writeJSON(a, alertJSON(rep.Plan, rep)); err != nil {
					return err
				}
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("alert: stopped: %w", err)
			}
			return scrubErr(rep.Err(), secrets)
		},
	}
	flags.register(cmd)
	fs := cmd.Flags()
	fs.IntVar(&flags.evidenceDays, "high-window-days", segment.DefaultHighDays, "the HIGH window: the latest visit and news shown come from it")
	bindEnv(fs, "high-window-days", "INTENTALERT_HIGH_WINDOW_DAYS")
	fs.BoolVar(&dryRun, "dry-run", false, "select and render every alert, send nothing, write nothing; needs no URL or credential")
	fs.StringVar(&format, "format", "text", "output: text (summary on stderr; with --dry-run the messages on stdout) or json (with --dry-run one line per alert on stdout, else the report)")
	return cmd
}

// alertDryRun prints what a run would send, and writes nothing.
func (a *app) alertDryRun(ctx context.Context, f *alertFlags, o alert.Options, format string) error {
	names, err := channels.Parse(f.channels)
	if err != nil {
		return err
	}
	st, err := a.open(ctx, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	plan, err := alert.Prepare(ctx, st, names, o)
	if err != nil {
		return err
	}
	if format == "json" {
		if err := writeDryRunJSON(a.streams.Out, plan); err != nil {
			return err
		}
	} else {
		writeDryRunText(a.streams.Out, plan)
	}
	a.info("%s", alertSummary(plan, nil))
	return nil
}

// dryRunLine is one line of `alert --dry-run --format json`.
type dryRunLine struct {
	ContactEmail string        `json:"contact_email"`
	CompanyID    string        `json:"company_id"`
	Channel      string        `json:"channel"`
	Payload      alert.Payload `json:"payload"`
	// Contacts lists a digest's addresses (--digest only).
	Contacts []string `json:"contacts,omitempty"`
}

func writeDryRunJSON(w io.Writer, plan *alert.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, cp := range plan.Channels {
		for _, m := range cp.Messages {
			line := dryRunLine{Channel: cp.Channel, Payload: m.Payload()}
			if m.Digest {
				for _, al := range m.Alerts {
					line.Contacts = append(line.Contacts, al.ContactEmail)
				}
			} else {
				line.ContactEmail, line.CompanyID = m.Alerts[0].ContactEmail, m.Alerts[0].CompanyID
			}
			if err := enc.Encode(line); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		}
	}
	return nil
}

func writeDryRunText(w io.Writer, plan *alert.Plan) {
	for _, cp := range plan.Channels {
		for _, m := range cp.Messages {
			fmt.Fprintf(w, "=== %s (dry run, not sent) key %s\nFrom: %s\nTo: %s\nSubject: %s\n\n%s\n", cp.Channel, m.Key, m.From, m.To, m.Subject, m.Text)
		}
	}
}

// alertSummary is the text summary on stderr: what was selected, what was
// left out and why, and per channel what happened (rep nil: a dry run).
// It names contacts by name and masked address only.
func alertSummary(plan *alert.Plan, rep *alert.Report) string {
	var b strings.Builder
	p := plan.Params
	verb := "alert"
	if rep == nil {
		verb = "alert (dry run: nothing sent, nothing written)"
	}
	fmt.Fprintf(&b, "%s as of %s: outreach window %d days, cooldown %d days\n", verb, p.AsOf.Format(time.DateOnly), p.OutreachDays, p.CooldownDays)
	var outcomes map[string]map[string]int
	if rep != nil {
		outcomes = rep.Outcomes()
	}
	for _, cp := range plan.Channels {
		ex := cp.Excluded
		fmt.Fprintf(&b, "  %s: %d contacts of HIGH companies, %d selected", cp.Channel, cp.Selected+ex.Total(), cp.Selected)
		if cp.Capped > 0 {
			fmt.Fprintf(&b, ", %d held back by --max-alerts", cp.Capped)
		}
		fmt.Fprintf(&b, "\n    excluded %d: invalid %d, not verified %d, recent outreach %d, cooldown %d, already sent %d, no address %d\n",
			ex.Total(), ex.Invalid, ex.NotVerified, ex.RecentOutreach, ex.Cooldown, ex.AlreadySent, ex.NoAddress)
		if rep == nil {
			fmt.Fprintf(&b, "    would send %d message%s\n", len(cp.Messages), plural(len(cp.Messages)))
			continue
		}
		o := outcomes[cp.Channel]
		fmt.Fprintf(&b, "    sent %d, failed %d", o[alert.ResultSent], o[alert.ResultFailed])
		if n := o[alert.ResultPending] + o[alert.ResultNotSent]; n > 0 {
			fmt.Fprintf(&b, ", not delivered (run stopped) %d", n)
		}
		b.WriteString("\n")
	}
	if rep != nil {
		for _, res := range rep.Unsent() {
			fmt.Fprintf(&b, "  not delivered: %s\n", alert.Describe(res))
		}
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// alertReport is what `alert --format json` prints after a run.
type alertReport struct {
	AsOf     string               `json:"as_of"`
	Channels []alertChannelReport `json:"channels"`
}

type alertChannelReport struct {
	Channel    string           `json:"channel"`
	Selected   int              `json:"selected"`
	Capped     int              `json:"capped"`
	Excluded   alert.Exclusions `json:"excluded"`
	Outcomes   map[string]int   `json:"outcomes"`
	Deliveries []alertDelivery  `json:"deliveries"`
}

type alertDelivery struct {
	ContactEmail string   `json:"contact_email,omitempty"`
	CompanyID    string   `json:"company_id,omitempty"`
	Contacts     []string `json:"contacts,omitempty"` // a digest's
	Key          string   `json:"key"`
	Status       string   `json:"status"`
	Attempts     int      `json:"attempts"`
	Error        string   `json:"error,omitempty"`
}

func alertJSON(plan *alert.Plan, rep *alert.Report) alertReport {
	out := alertReport{AsOf: plan.Params.AsOf.Format(time.DateOnly)}
	outcomes := rep.Outcomes()
	for _, cp := range plan.Channels {
		cr := alertChannelReport{Channel: cp.Channel, Selected: cp.Selected, Capped: cp.Capped, Excluded: cp.Excluded,
			Outcomes: outcomes[cp.Channel], Deliveries: []alertDelivery{}}
		for _, res := range rep.Results {
			if res.Channel != cp.Channel {
				continue
			}
			d := alertDelivery{Key: res.Message.Key, Status: res.Status, Attempts: res.Attempts}
			if res.Err != nil {
				d.Error = res.Err.Error()
			}
			if res.Message.Digest {
				for _, al := range res.Message.Alerts {
					d.Contacts = append(d.Contacts, al.ContactEmail)
				}
			} else if len(res.Message.Alerts) == 1 {
				d.ContactEmail, d.CompanyID = res.Message.Alerts[0].ContactEmail, res.Message.Alerts[0].CompanyID
			}
			cr.Deliveries = append(cr.Deliveries, d)
		}
		out.Channels = append(out.Channels, cr)
	}
	return out
}

// alertStep is the pipeline's alert step, run with the settings of f: the
// same work as the alert command (never a dry run), on the run's database,
// date, clock and logger. Wire it in run.go's alertSteps, with
// f.evidenceDays set from the segment flags' HIGH window.
func (a *app) alertStep(f *alertFlags) pipeline.Step {
	return pipeline.Step{Name: pipeline.StepAlert, Run: func(ctx context.Context, env pipeline.Env) (pipeline.Result, error) {
		chs, secrets, err := f.build(a)
		if err != nil {
			return pipeline.Result{}, err
		}
		o := f.options(a, env.AsOf)
		o.Secrets, o.Log, o.Now, o.Backoff = secrets, env.Log, env.Now, alertBackoff
		rep, err := alert.Run(ctx, env.Store, chs, o)
		if err != nil {
			return pipeline.Result{}, scrubErr(err, secrets)
		}
		res := pipeline.Result{Alerts: rep.Outcomes()}
		if len(rep.Plan.Channels) > 0 {
			// The same for every channel; cooldowns are per channel and
			// show in the outcomes.
			cp := rep.Plan.Channels[0]
			res.Counts = map[string]int{
				"selected": cp.Selected, "excluded_invalid": cp.Excluded.Invalid, "excluded_not_verified": cp.Excluded.NotVerified,
				"excluded_recent_outreach": cp.Excluded.RecentOutreach, "excluded_no_address": cp.Excluded.NoAddress,
			}
		}
		return res, scrubErr(rep.Err(), secrets)
	}}
}
