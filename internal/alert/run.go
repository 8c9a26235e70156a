package alert

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/store"
)

// Default addresses of the payload.
const (
	DefaultFrom = "intent-alerts@taktile.com"
	DefaultTo   = "biz-dev@taktile.com"
)

// Options are everything one alert run needs besides the database and the
// channels. The zero value of every field but AsOf has a sensible default
// (see Defaults).
type Options struct {
	Params
	From, To  string
	MaxAlerts int  // send at most this many alerts per channel; 0: no cap
	Digest    bool // one message listing every alert instead of one each

	Concurrency int                   // messages in flight per channel
	Timeout     time.Duration         // bound on one attempt
	Backoff     outbound.Backoff      // retry policy
	Rates       map[string]rate.Limit // messages per second by channel name
	Now         func() time.Time      // stamps the ledger
	Sleep       func(context.Context, time.Duration) error
	Log         *slog.Logger
	Secrets     []string // scrubbed from every error recorded or logged
}

// Defaults returns o with its zero fields set to the defaults.
func (o Options) Defaults() Options {
	if o.From == "" {
		o.From = DefaultFrom
	}
	if o.To == "" {
		o.To = DefaultTo
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Backoff == (outbound.Backoff{}) {
		o.Backoff = outbound.DefaultBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = outbound.Sleep
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports a usage error for options no run can work with.
func (o Options) Validate() error {
	if err := o.Params.Validate(); err != nil {
		return err
	}
	for _, f := range []struct{ flag, addr string }{{"--from", o.From}, {"--to", o.To}} {
		if err := checkAddress(f.addr); err != nil {
			return exitcode.Usagef("%s %q: %v", f.flag, f.addr, err)
		}
	}
	if o.MaxAlerts < 0 {
		return exitcode.Usagef("--max-alerts must be 0 (no cap) or more, got %d", o.MaxAlerts)
	}
	if o.Concurrency < 1 {
		return exitcode.Usagef("--concurrency must be at least 1, got %d", o.Concurrency)
	}
	if o.Timeout <= 0 {
		return exitcode.Usagef("--timeout must be positive, got %s", o.Timeout)
	}
	return nil
}

// checkAddress accepts one bare address such as biz-dev@taktile.com.
func checkAddress(addr string) error {
	if strings.ContainsAny(addr, "\r\n") {
		return fmt.Errorf("contains a line break")
	}
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return fmt.Errorf("not an email address")
	}
	if a.Address != strings.TrimSpace(addr) {
		return fmt.Errorf("want a bare address such as %s", DefaultTo)
	}
	return nil
}

// Plan is what a run sends, channel by channel.
type Plan struct {
	Params   Params
	Channels []ChannelPlan
}

// ChannelPlan is what a run sends on one channel, and what it leaves out.
type ChannelPlan struct {
	Channel  string
	Selected int // alerts the rules selected
	Capped   int // of which MaxAlerts left out
	Excluded Exclusions
	Alerts   []Alert   // the alerts to send
	Messages []Message // rendered: one per alert, or one digest
}

// Prepare selects and renders the alerts of every channel named, and
// writes nothing: it is the whole of a dry run. A missing ledger table is
// created inside a transaction that is rolled back.
func Prepare(ctx context.Context, st *store.Store, channels []string, o Options) (*Plan, error) {
	o = o.Defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(channels) == 0 {
		return nil, exitcode.Usagef("no channel given")
	}
	if err := Require(ctx, st); err != nil {
		return nil, err
	}
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("alert: begin: %w", err)
	}
	defer tx.Rollback()
	if err := EnsureTables(ctx, st, tx); err != nil {
		return nil, err
	}
	plan := &Plan{Params: o.Params}
	for _, name := range channels {
		sel, err := Select(ctx, st, tx, o.Params, name)
		if err != nil {
			return nil, err
		}
		cp := ChannelPlan{Channel: name, Selected: len(sel.Alerts), Excluded: sel.Excluded, Alerts: sel.Alerts}
		if o.MaxAlerts > 0 && len(cp.Alerts) > o.MaxAlerts {
			cp.Capped = len(cp.Alerts) - o.MaxAlerts
			cp.Alerts = cp.Alerts[:o.MaxAlerts]
		}
		switch {
		case len(cp.Alerts) == 0:
		case o.Digest:
			cp.Messages = []Message{NewDigest(name, o.From, o.To, o.AsOf, cp.Alerts)}
		default:
			for _, a := range cp.Alerts {
				cp.Messages = append(cp.Messages, NewMessage(name, o.From, o.To, a))
			}
		}
		plan.Channels = append(plan.Channels, cp)
	}
	return plan, nil
}

// Report is the outcome of a run.
type Report struct {
	Plan    *Plan
	Results []Result // every channel's, in the plan's order
	// Planning is the time selection and rendering took; the rest of the
	// run was delivery.
	Planning time.Duration
}

// Count returns the number of results with status.
func (r *Report) Count(status string) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == status {
			n++
		}
	}
	return n
}

// Outcomes counts the results by channel, then status (sent, failed,
// pending, skipped, not_sent).
func (r *Report) Outcomes() map[string]map[string]int {
	out := map[string]map[string]int{}
	if r.Plan != nil {
		for _, cp := range r.Plan.Channels {
			out[cp.Channel] = map[string]int{}
		}
	}
	for _, res := range r.Results {
		if out[res.Channel] == nil {
			out[res.Channel] = map[string]int{}
		}
		out[res.Channel][res.Status]++
	}
	return out
}

// Unsent returns the results that were not delivered: failed, pending or
// not sent.
func (r *Report) Unsent() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status != ResultSent && res.Status != ResultSkipped {
			out = append(out, res)
		}
	}
	return out
}

// Err returns nil when every message was delivered, else an error with
// exit code 4 naming the messages that were not.
func (r *Report) Err() error {
	unsent := r.Unsent()
	if len(unsent) == 0 {
		return nil
	}
	var names []string
	for i, res := range unsent {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(unsent)-10))
			break
		}
		names = append(names, Describe(res))
	}
	return exitcode.Wrap(exitcode.Partial, fmt.Errorf("%d of %d alert messages not delivered: %s",
		len(unsent), len(r.Results), strings.Join(names, "; ")))
}

// Describe names a result without the contact's full address: "Jane Doe
// <j***@acme.com> at acme.com via webhook: failed after 1 attempt: HTTP 400".
func Describe(res Result) string {
	m := res.Message
	who := fmt.Sprintf("digest of %d contacts", len(m.Alerts))
	if !m.Digest && len(m.Alerts) == 1 {
		a := m.Alerts[0]
		who = fmt.Sprintf("%s <%s> at %s", a.ContactLabel(), MaskEmail(a.ContactEmail), a.CompanyLabel())
	}
	s := fmt.Sprintf("%s via %s: %s", who, res.Channel, res.Status)
	if res.Err != nil {
		s += ": " + res.Err.Error()
	}
	return s
}

// Run is the alert step: it checks the tables, creates the ledger when
// missing, selects and renders the alerts of every channel, and delivers
// them with the ledger. A run for an as-of date that was already run sends
// only what was not delivered then. Failed deliveries do not make Run fail:
// see Report.Err.
func Run(ctx context.Context, st *store.Store, channels []Channel, o Options) (*Report, error) {
	o = o.Defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	names := make([]string, len(channels))
	for i, ch := range channels {
		names[i] = ch.Name()
		if slices.Contains(names[:i], names[i]) {
			return nil, exitcode.Usagef("channel %s given twice", names[i])
		}
	}
	if err := Require(ctx, st); err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	started := time.Now()
	plan, err := Prepare(ctx, st, names, o)
	if err != nil {
		return nil, err
	}
	planning := time.Since(started)
	ledger := NewLedger(st, o.Now)
	if err := ledger.Hold(ctx); err != nil {
		return nil, err
	}
	defer ledger.Release()
	d := &Dispatcher{
		Backoff: o.Backoff, Timeout: o.Timeout, Concurrency: o.Concurrency, Rates: o.Rates,
		Ledger: ledger, Sleep: o.Sleep, Log: o.Log, Secrets: o.Secrets,
	}
	batches := make([]Batch, len(channels))
	for i, ch := range channels {
		batches[i] = Batch{Channel: ch, Messages: plan.Channels[i].Messages}
	}
	rep := &Report{Plan: plan, Planning: planning}
	for _, rs := range d.DeliverAll(ctx, batches) {
		rep.Results = append(rep.Results, rs...)
	}
	return rep, nil
}
