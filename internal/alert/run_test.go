package alert_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/webhook"
	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/store"
	"golang.org/x/time/rate"
)

// fakeChannel records what it is asked to send and fails on demand.
type fakeChannel struct {
	name string
	// fail, when set, decides the outcome of each attempt.
	fail func(ctx context.Context, m alert.Message) error

	mu          sync.Mutex
	sent        []alert.Message
	inFlight    int
	maxInFlight int
}

func (f *fakeChannel) Name() string { return f.name }

func (f *fakeChannel) Send(ctx context.Context, m alert.Message) error {
	f.mu.Lock()
	f.inFlight++
	f.maxInFlight = max(f.maxInFlight, f.inFlight)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()
	if f.fail != nil {
		if err := f.fail(ctx, m); err != nil {
			return err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	return nil
}

func (f *fakeChannel) contacts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.sent {
		for _, a := range m.Alerts {
			out = append(out, a.ContactEmail)
		}
	}
	slices.Sort(out)
	return out
}

// eligible builds a CRM with n contacts to alert on, at one HIGH company:
// c0@acme.com, c1@acme.com...
func eligible(t *testing.T, n int) *crmtest.CRM {
	t.Helper()
	crm := newCRM(t)
	id := company(crm, "acme.com", "HIGH")
	crm.Visit("v@acme.com", day(-1))
	crm.News("acme.com", day(-1), "News")
	for i := range n {
		addr := fmt.Sprintf("c%d@acme.com", i)
		crm.Contact(id, "Contact", fmt.Sprint(i), addr, "")
		verdict(crm, addr, true)
	}
	return crm
}

func run(t *testing.T, st *store.Store, o alert.Options, chs ...alert.Channel) *alert.Report {
	t.Helper()
	rep, err := alert.Run(context.Background(), st, chs, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

type ledgerRow struct {
	Key, Email, Company, Channel, AsOf, Status string
	Attempts                                   int
	LastError                                  string
	Created, Sent                              bool
}

func ledger(t *testing.T, st *store.Store) []ledgerRow {
	t.Helper()
	rows, err := st.DB.Query(`SELECT "key", contact_email, coalesce(company_id, ''), channel, CAST(as_of AS VARCHAR), status,
		attempts, coalesce(last_error, ''), created_at IS NOT NULL, sent_at IS NOT NULL
		FROM crm.alert_deliveries ORDER BY contact_email, as_of, channel`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []ledgerRow
	for rows.Next() {
		var r ledgerRow
		if err := rows.Scan(&r.Key, &r.Email, &r.Company, &r.Channel, &r.AsOf, &r.Status, &r.Attempts, &r.LastError, &r.Created, &r.Sent); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestRerunSendsNothing(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 3), func(t *testing.T, st *store.Store) {
		r := alerttest.NewReceiver(t)
		ch, err := webhook.New(webhook.Config{URL: r.URL()})
		if err != nil {
			t.Fatal(err)
		}
		rep := run(t, st, options(), ch)
		if rep.Count(alert.ResultSent) != 3 || rep.Err() != nil || len(r.Requests()) != 3 {
			t.Fatalf("first run: %d sent, %d POSTs, err %v; want 3", rep.Count(alert.ResultSent), len(r.Requests()), rep.Err())
		}
		rows := ledger(t, st)
		for i, row := range rows {
			want := alert.Key("webhook", row.Email, asOf)
			if row.Status != alert.StatusSent || row.Attempts != 1 || !row.Sent || !row.Created || row.Key != want || row.AsOf != "2024-04-30" || row.Channel != "webhook" {
				t.Errorf("ledger row %d = %+v, want sent once with key %s", i, row, want)
			}
			if got := r.Requests()[i].Header.Get("Idempotency-Key"); !slices.ContainsFunc(rows, func(x ledgerRow) bool { return x.Key == got }) {
				t.Errorf("Idempotency-Key %q is not a ledger key", got)
			}
		}
		rep = run(t, st, options(), ch)
		if n := len(r.Requests()); n != 3 {
			t.Errorf("rerun POSTed %d more, want none", n-3)
		}
		if ex := rep.Plan.Channels[0].Excluded; ex.AlreadySent != 3 || len(rep.Results) != 0 || rep.Err() != nil {
			t.Errorf("rerun: excluded %+v, %d results, err %v; want 3 already sent, nothing else", ex, len(rep.Results), rep.Err())
		}
	})
}

func TestCooldown(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 2), func(t *testing.T, st *store.Store) {
		ch := &fakeChannel{name: "webhook"}
		other := &fakeChannel{name: "stdout"}
		at := func(offset, cooldown int, chs ...alert.Channel) *alert.Report {
			o := options()
			o.AsOf = asOf.AddDate(0, 0, offset)
			o.CooldownDays = cooldown
			return run(t, st, o, chs...)
		}
		at(0, 7, ch)
		tests := []struct {
			name     string
			offset   int
			cooldown int
			sent     int
		}{
			{"3 days later", 3, 7, 0},
			{"6 days later", 6, 7, 0},
			{"3 days earlier (a backfill)", -3, 7, 0},
			{"7 days later, cooldown over", 7, 7, 2},
			{"1 day later with no cooldown", 1, 0, 2},
		}
		for _, tt := range tests {
			before := len(ch.contacts())
			rep := at(tt.offset, tt.cooldown, ch)
			if got := len(ch.contacts()) - before; got != tt.sent {
				t.Errorf("%s: sent %d, want %d (excluded %+v)", tt.name, got, tt.sent, rep.Plan.Channels[0].Excluded)
			}
			if tt.sent == 0 && rep.Plan.Channels[0].Excluded.Cooldown != 2 {
				t.Errorf("%s: cooldown exclusions %d, want 2", tt.name, rep.Plan.Channels[0].Excluded.Cooldown)
			}
		}
		// The cooldown is per channel: another channel still gets them.
		at(1, 7, other)
		if got := other.contacts(); len(got) != 2 {
			t.Errorf("stdout got %v during webhook's cooldown, want both", got)
		}
	})
}

// TestKilledRunResendsOnlyPending simulates a process killed during a
// run: one message was sent but its record never written (its claim is
// still pending), another was never claimed. The rerun sends exactly those
// two, the pending one under the key it was first sent with.
func TestKilledRunResendsOnlyPending(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 3), func(t *testing.T, st *store.Store) {
		r := alerttest.NewReceiver(t)
		ch, _ := webhook.New(webhook.Config{URL: r.URL()})
		run(t, st, options(), ch)
		firstKeys := map[string]string{} // contact -> Idempotency-Key
		for _, req := range r.Requests() {
			firstKeys[contactOf(t, req.Body)] = req.Header.Get("Idempotency-Key")
		}
		exec(t, st, `UPDATE crm.alert_deliveries SET status = 'pending', sent_at = NULL WHERE contact_email = 'c1@acme.com'`)
		exec(t, st, `DELETE FROM crm.alert_deliveries WHERE contact_email = 'c2@acme.com'`)

		rep := run(t, st, options(), ch)
		again := r.Requests()[3:]
		var resent []string
		for _, req := range again {
			c := contactOf(t, req.Body)
			resent = append(resent, c)
			if c == "c1@acme.com" && req.Header.Get("Idempotency-Key") != firstKeys[c] {
				t.Errorf("pending message resent with key %q, first sent with %q", req.Header.Get("Idempotency-Key"), firstKeys[c])
			}
		}
		slices.Sort(resent)
		if !slices.Equal(resent, []string{"c1@acme.com", "c2@acme.com"}) || rep.Err() != nil {
			t.Errorf("rerun sent %v (err %v), want exactly c1 (pending) and c2 (never claimed)", resent, rep.Err())
		}
		for _, row := range ledger(t, st) {
			if row.Status != alert.StatusSent {
				t.Errorf("after the rerun %s is %s, want sent", row.Email, row.Status)
			}
		}
	})
}

// TestStopDuringSendLeavesOnlyThatPending stops a run (as SIGTERM does)
// while the first message is being sent, with one message in flight: the
// ledger holds that one as pending and nothing else; a rerun sends all
// three, the interrupted one under the same key.
func TestStopDuringSendLeavesOnlyThatPending(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 3), func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		var once sync.Once
		hang := &fakeChannel{name: "webhook", fail: func(ctx context.Context, m alert.Message) error {
			once.Do(func() { close(started) })
			<-ctx.Done()
			return &outbound.Error{Err: fmt.Errorf("post: %w", ctx.Err())}
		}}
		go func() { <-started; cancel() }()
		o := options()
		o.Concurrency = 1
		rep, err := alert.Run(ctx, st, []alert.Channel{hang}, o)
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[string]int{}
		for _, res := range rep.Results {
			statuses[res.Status]++
		}
		if statuses[alert.ResultPending] != 1 || statuses[alert.ResultNotSent] != 2 || exitcode.Of(rep.Err()) != exitcode.Partial {
			t.Fatalf("results %v (err %v), want 1 pending and 2 not sent, exit 4", statuses, rep.Err())
		}
		rows := ledger(t, st)
		if len(rows) != 1 || rows[0].Status != alert.StatusPending {
			t.Fatalf("ledger %+v, want one pending row", rows)
		}
		pendingKey := rows[0].Key

		ok := &fakeChannel{name: "webhook"}
		run(t, st, options(), ok)
		if got := ok.contacts(); len(got) != 3 {
			t.Fatalf("rerun sent %v, want all three", got)
		}
		for _, m := range ok.sent {
			if m.Alerts[0].ContactEmail == rows[0].Email && m.Key != pendingKey {
				t.Errorf("the interrupted message was resent with key %s, want %s", m.Key, pendingKey)
			}
		}
	})
}

func TestPermanentFailureThenRerun(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 3), func(t *testing.T, st *store.Store) {
		r := alerttest.NewReceiver(t)
		ch, _ := webhook.New(webhook.Config{URL: r.URL()})
		r.Next(alerttest.Response{Status: http.StatusBadRequest, Body: "bad request for " + r.Token})
		o := options()
		o.Concurrency = 1
		o.Secrets = []string{r.URL()}
		rep := run(t, st, o, ch)
		err := rep.Err()
		if exitcode.Of(err) != exitcode.Partial || rep.Count(alert.ResultSent) != 2 || rep.Count(alert.ResultFailed) != 1 {
			t.Fatalf("report: %d sent, %d failed, err %v; want 2 and 1, exit 4", rep.Count(alert.ResultSent), rep.Count(alert.ResultFailed), err)
		}
		if !strings.Contains(err.Error(), "Contact 0 <c***@acme.com> at acme.com via webhook: failed") || !strings.Contains(err.Error(), "HTTP 400") {
			t.Errorf("error does not name the failed alert: %v", err)
		}
		if strings.Contains(err.Error(), "c0@acme.com") || strings.Contains(err.Error(), r.Token) {
			t.Errorf("error shows a full address or the URL token: %v", err)
		}
		var failed ledgerRow
		for _, row := range ledger(t, st) {
			if row.Status == alert.StatusFailed {
				failed = row
			}
		}
		if failed.Email != "c0@acme.com" || failed.Attempts != 1 || !strings.Contains(failed.LastError, "HTTP 400") || failed.Sent || strings.Contains(failed.LastError, r.Token) {
			t.Errorf("failed row %+v, want c0 failed after 1 attempt with the scrubbed error", failed)
		}
		firstKey := r.Requests()[0].Header.Get("Idempotency-Key")

		rep = run(t, st, o, ch)
		if rep.Err() != nil || rep.Count(alert.ResultSent) != 1 {
			t.Fatalf("rerun: %d sent, err %v; want the failed one sent", rep.Count(alert.ResultSent), rep.Err())
		}
		last := r.Requests()[len(r.Requests())-1]
		if contactOf(t, last.Body) != "c0@acme.com" || last.Header.Get("Idempotency-Key") != firstKey {
			t.Errorf("rerun sent %s with key %s, want c0 with %s", contactOf(t, last.Body), last.Header.Get("Idempotency-Key"), firstKey)
		}
	})
}

func TestRetriesRecordAttempts(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 1), func(t *testing.T, st *store.Store) {
		r := alerttest.NewReceiver(t)
		r.NextModes(alerttest.Transient, alerttest.RateLimited)
		ch, _ := webhook.New(webhook.Config{URL: r.URL()})
		var s noSleep
		o := options()
		o.Sleep = s.sleep
		rep := run(t, st, o, ch)
		if rep.Err() != nil || ledger(t, st)[0].Attempts != 3 {
			t.Fatalf("err %v, ledger %+v; want sent after 3 attempts", rep.Err(), ledger(t, st))
		}
		if len(s.d) != 2 || s.d[1] != 7*time.Second {
			t.Errorf("waits %v, want a backoff then the 7 s Retry-After", s.d)
		}
	})
}

func TestMaxAlerts(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 5), func(t *testing.T, st *store.Store) {
		ch := &fakeChannel{name: "webhook"}
		o := options()
		o.MaxAlerts = 2
		rep := run(t, st, o, ch)
		if got := ch.contacts(); !slices.Equal(got, []string{"c0@acme.com", "c1@acme.com"}) || rep.Plan.Channels[0].Capped != 3 || rep.Plan.Channels[0].Selected != 5 {
			t.Fatalf("sent %v, plan %+v; want c0 and c1, 3 capped of 5", got, rep.Plan.Channels[0])
		}
		run(t, st, o, ch)
		if got := ch.contacts(); len(got) != 4 {
			t.Errorf("second capped run: %v sent in all, want 4", got)
		}
	})
}

func TestDigest(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 3), func(t *testing.T, st *store.Store) {
		r := alerttest.NewReceiver(t)
		ch, _ := webhook.New(webhook.Config{URL: r.URL()})
		o := options()
		o.Digest = true
		rep := run(t, st, o, ch)
		if len(r.Requests()) != 1 || rep.Err() != nil {
			t.Fatalf("%d POSTs (err %v), want one digest", len(r.Requests()), rep.Err())
		}
		body := string(r.Requests()[0].Body)
		for _, c := range []string{"c0@acme.com", "c1@acme.com", "c2@acme.com", "3 contacts"} {
			if !strings.Contains(body, c) {
				t.Errorf("digest lacks %q", c)
			}
		}
		keys := []string{alert.Key("webhook", "c0@acme.com", asOf), alert.Key("webhook", "c1@acme.com", asOf), alert.Key("webhook", "c2@acme.com", asOf)}
		if got := r.Requests()[0].Header.Get("Idempotency-Key"); got != alert.DigestKey("webhook", asOf, keys) {
			t.Errorf("digest key %s", got)
		}
		rows := ledger(t, st)
		if len(rows) != 3 || rows[0].Status != alert.StatusSent || rows[2].Status != alert.StatusSent {
			t.Errorf("ledger %+v, want 3 sent rows", rows)
		}
		run(t, st, o, ch)
		if len(r.Requests()) != 1 {
			t.Errorf("digest rerun POSTed again")
		}
	})
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	crm := eligible(t, 2)
	crm.Exec(`CHECKPOINT`)
	crm.Close()
	sum := func() [16]byte {
		b, err := os.ReadFile(crm.Path)
		if err != nil {
			t.Fatal(err)
		}
		return md5.Sum(b)
	}
	before := sum()
	st, err := store.Open(context.Background(), crm.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := alert.Prepare(context.Background(), st, []string{"webhook", "slack"}, options())
	if err != nil {
		t.Fatal(err)
	}
	var tables int
	st.DB.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = 'crm' AND table_name = 'alert_deliveries'`).Scan(&tables)
	st.Close()
	if len(plan.Channels) != 2 || len(plan.Channels[0].Messages) != 2 || len(plan.Channels[1].Messages) != 2 {
		t.Fatalf("plan %+v, want 2 messages for each channel", plan)
	}
	if tables != 0 {
		t.Errorf("a dry run created crm.alert_deliveries")
	}
	if sum() != before {
		t.Errorf("a dry run changed the database file")
	}
	if _, err := os.Stat(crm.Path + ".wal"); err == nil {
		t.Errorf("a dry run left a write-ahead log")
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 12), func(t *testing.T, st *store.Store) {
		// Each send waits until a second one is in flight (or 2 s pass), so
		// that concurrency shows however slowly the machine schedules.
		var inFlight atomic.Int32
		overlap := make(chan struct{})
		var once sync.Once
		ch := &fakeChannel{name: "webhook", fail: func(ctx context.Context, m alert.Message) error {
			if inFlight.Add(1) >= 2 {
				once.Do(func() { close(overlap) })
			}
			defer inFlight.Add(-1)
			select {
			case <-overlap:
			case <-time.After(2 * time.Second):
			}
			time.Sleep(5 * time.Millisecond)
			return nil
		}}
		o := options()
		o.Concurrency = 3
		rep := run(t, st, o, ch)
		if rep.Count(alert.ResultSent) != 12 || rep.Err() != nil {
			t.Fatalf("%d sent, err %v; want 12", rep.Count(alert.ResultSent), rep.Err())
		}
		if ch.maxInFlight > 3 || ch.maxInFlight < 2 {
			t.Errorf("at most %d in flight, want 2 to 3 with --concurrency 3", ch.maxInFlight)
		}
		for _, row := range ledger(t, st) {
			if row.Status != alert.StatusSent {
				t.Errorf("%s: %s", row.Email, row.Status)
			}
		}
	})
}

func TestChannelsSideBySide(t *testing.T) {
	t.Parallel()
	eachEngine(t, eligible(t, 2), func(t *testing.T, st *store.Store) {
		a, b := &fakeChannel{name: "webhook"}, &fakeChannel{name: "slack"}
		rep := run(t, st, options(), a, b)
		if len(a.contacts()) != 2 || len(b.contacts()) != 2 || len(rep.Results) != 4 {
			t.Fatalf("webhook %v, slack %v; want both contacts on each", a.contacts(), b.contacts())
		}
		if rows := ledger(t, st); len(rows) != 4 {
			t.Errorf("%d ledger rows, want 4", len(rows))
		}
		if _, err := alert.Run(context.Background(), st, []alert.Channel{a, a}, options()); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("a channel twice: %v, want a usage error", err)
		}
	})
}

// fakeClock advances when slept on.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func TestRateLimitPerChannel(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: asOf}
	d := &alert.Dispatcher{
		Backoff: outbound.Backoff{Attempts: 1}, Concurrency: 1,
		Rates: map[string]rate.Limit{"slack": 2},
		Sleep: clock.Sleep, Now: clock.Now,
	}
	var msgs []alert.Message
	for i := range 5 {
		a := alerttest.Sample()
		a.ContactEmail = fmt.Sprintf("c%d@acme.com", i)
		msgs = append(msgs, alerttest.Message("slack", a))
	}
	res := d.Deliver(context.Background(), &fakeChannel{name: "slack"}, msgs)
	if res[4].Status != alert.ResultSent {
		t.Fatalf("last result %+v", res[4])
	}
	if len(clock.waits) != 4 {
		t.Fatalf("waits %v, want 4 (none before the first message)", clock.waits)
	}
	for _, w := range clock.waits {
		if w < 490*time.Millisecond || w > 510*time.Millisecond {
			t.Errorf("wait %s between messages, want 500ms at 2 per second", w)
		}
	}
	// Another channel is not limited.
	clock.waits = nil
	d.Deliver(context.Background(), &fakeChannel{name: "webhook"}, msgs)
	if len(clock.waits) != 0 {
		t.Errorf("webhook waited %v without a limit", clock.waits)
	}
}

func TestSecretsAndAddressesStayOutOfLogs(t *testing.T) {
	t.Parallel()
	const secret = "sekrit-token-123456"
	st := openStore(t, eligible(t, 2))
	var logs bytes.Buffer
	ch := &fakeChannel{name: "webhook", fail: func(ctx context.Context, m alert.Message) error {
		if m.Alerts[0].ContactEmail == "c0@acme.com" {
			return outbound.Permanent(errors.New("POST https://hooks.example/" + secret + ": 403"))
		}
		return nil
	}}
	o := options()
	o.Secrets = []string{secret}
	o.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	rep := run(t, st, o, ch)
	if rep.Err() == nil || strings.Contains(rep.Err().Error(), secret) {
		t.Errorf("report error %v: want a failure without the secret", rep.Err())
	}
	for _, row := range ledger(t, st) {
		if strings.Contains(row.LastError, secret) {
			t.Errorf("ledger keeps the secret: %q", row.LastError)
		}
	}
	out := logs.String()
	if strings.Contains(out, secret) || strings.Contains(out, "c0@acme.com") || strings.Contains(out, "c1@acme.com") {
		t.Errorf("info logs show a secret or a full address:\n%s", out)
	}
	if !strings.Contains(out, "c***@acme.com") {
		t.Errorf("logs do not name the contact masked:\n%s", out)
	}
}

func TestCancelledBeforeStartSendsNothing(t *testing.T) {
	t.Parallel()
	st := openStore(t, eligible(t, 2))
	ch := &fakeChannel{name: "webhook"}
	d := &alert.Dispatcher{Ledger: alert.NewLedger(st, nil)}
	if err := alert.EnsureTables(context.Background(), st, st.DB); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := d.Deliver(ctx, ch, []alert.Message{alerttest.Message("webhook", alerttest.Sample())})
	if res[0].Status != alert.ResultNotSent || len(ch.contacts()) != 0 || len(ledger(t, st)) != 0 {
		t.Errorf("result %s, sent %v, ledger %v; want not sent, nothing recorded", res[0].Status, ch.contacts(), ledger(t, st))
	}
}

func exec(t *testing.T, st *store.Store, q string) {
	t.Helper()
	if _, err := st.DB.Exec(q); err != nil {
		t.Fatal(err)
	}
}

func contactOf(t *testing.T, body []byte) string {
	t.Helper()
	var p alert.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(p.Message, "Email:")
	if !ok {
		t.Fatalf("no Email line in %s", p.Message)
	}
	return strings.Fields(rest)[0]
}

// brokenLedger claims but cannot record.
type brokenLedger struct{}

func (brokenLedger) Claim(context.Context, string, alert.Message) (bool, error) { return true, nil }
func (brokenLedger) Finish(context.Context, string, alert.Message, int, error) error {
	return errors.New("disk full")
}

func TestSentButNotRecordedIsReported(t *testing.T) {
	t.Parallel()
	d := &alert.Dispatcher{Ledger: brokenLedger{}}
	res := d.Deliver(context.Background(), &fakeChannel{name: "webhook"}, []alert.Message{alerttest.Message("webhook", alerttest.Sample())})
	if res[0].Status != alert.ResultPending || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "ledger was not updated") {
		t.Errorf("result %s %v, want pending: sent but not recorded", res[0].Status, res[0].Err)
	}
	rep := &alert.Report{Results: res}
	if exitcode.Of(rep.Err()) != exitcode.Partial {
		t.Errorf("report error %v, want exit 4", rep.Err())
	}
}
