package cli

import (
	"bufio"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/store"
)

// fastRetries shortens the retry policy of deliveries for one test.
func fastRetries(t *testing.T) {
	saved := alertBackoff
	alertBackoff = outbound.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond, Attempts: 3}
	t.Cleanup(func() { alertBackoff = saved })
}

// alertFixture is a CRM segmented and verified as of 2024-04-30: one HIGH
// company with three contacts, Jane (to alert), Bob (invalid) and Kim
// (emailed by the team five days before).
func alertFixture(t *testing.T) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	crm.Exec(`CREATE TABLE crm.valid_emails (email VARCHAR, is_email_valid BOOLEAN)`)
	crm.Company("acme", "acme.com", "1 Main Street")
	crm.Exec(`INSERT INTO crm.customer_buying_intent VALUES ('acme', 'HIGH')`)
	crm.Visit("visitor@acme.com", "2024-04-29")
	crm.News("https://acme.com/news", "2024-04-28", "Acme expands")
	crm.Contact("acme", "Jane", "Doe", "jane.doe@acme.com", "+1 555 0100")
	crm.Contact("acme", "Bob", "Roe", "bob@acme.com", "")
	crm.Contact("acme", "Kim", "Lee", "kim@acme.com", "")
	crm.Exec(`INSERT INTO crm.valid_emails VALUES ('jane.doe@acme.com', true), ('bob@acme.com', false), ('kim@acme.com', true)`)
	crm.Outreach("kim@acme.com", "john.doe@taktile.com", "Hello", "2024-04-25")
	crm.Close()
	return crm.Path
}

func payloadKeys(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var p map[string]string
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("payload %s: %v", body, err)
	}
	var keys []string
	for k := range p {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"from", "message", "subject", "to"}) {
		t.Errorf("payload keys %v, want exactly from, message, subject, to", keys)
	}
	return p
}

func TestAlertRealExport(t *testing.T) {
	shared := crmtest.SharedDir(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "db.duckdb")
	run(t, "init", "--src", filepath.Join(shared, "db_src.duckdb"), "--db", db).want(t, 0)
	run(t, "segment", "--db", db, "--as-of", "2024-04-30", "--data-dir", dir).want(t, 0)
	importValidEmails(t, db, filepath.Join(shared, "valid_emails.csv"))

	r := alerttest.NewReceiver(t)
	res := run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--webhook-url", r.URL())
	res.want(t, 0, "sent 1, failed 0", "invalid 5", "recent outreach 1")
	reqs := r.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d POSTs, want 1", len(reqs))
	}
	p := payloadKeys(t, reqs[0].Body)
	if p["from"] != "intent-alerts@taktile.com" || p["to"] != "biz-dev@taktile.com" ||
		!strings.Contains(p["message"], "white.white@cummings.net") || !strings.Contains(p["subject"], "cummings.net") {
		t.Errorf("payload %v, want the alert for white.white@cummings.net", p)
	}
	if strings.Contains(res.errOut, "white.white@cummings.net") {
		t.Errorf("stderr shows a full contact address:\n%s", res.errOut)
	}
	run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--webhook-url", r.URL()).want(t, 0, "already sent 1")
	if n := len(r.Requests()); n != 1 {
		t.Errorf("the rerun POSTed %d more, want none", n-1)
	}
}

// importValidEmails loads Taktile's example verification result, as the
// verify step would write it.
func importValidEmails(t *testing.T, db, csvPath string) {
	t.Helper()
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	conn, err := sql.Open("duckdb", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`CREATE OR REPLACE TABLE crm.valid_emails (email VARCHAR, is_email_valid BOOLEAN)`); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Scan() // ,email,is_email_valid
	for sc.Scan() {
		cols := strings.Split(sc.Text(), ",")
		if _, err := conn.Exec(`INSERT INTO crm.valid_emails VALUES ($1, $2)`, cols[1], cols[2] == "True"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAlertDryRun(t *testing.T) {
	db := alertFixture(t)
	sum := func() [16]byte {
		b, _ := os.ReadFile(db)
		return md5.Sum(b)
	}
	before := sum()
	t.Setenv("INTENTALERT_WEBHOOK_URL", "")
	res := run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--dry-run", "--format", "json", "--channel", "webhook,slack")
	res.want(t, 0, "dry run", "invalid 1", "recent outreach 1", "not verified 0", "no address 0", "cooldown 0")
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want one per alert and channel:\n%s", len(lines), res.out)
	}
	for i, line := range lines {
		var got map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"channel", "company_id", "contact_email", "payload"}) {
			t.Errorf("line keys %v", keys)
		}
		p := payloadKeys(t, got["payload"])
		if string(got["contact_email"]) != `"jane.doe@acme.com"` || string(got["company_id"]) != `"acme"` ||
			string(got["channel"]) != []string{`"webhook"`, `"slack"`}[i] || p["subject"] != "HIGH buying intent: Jane Doe at acme.com" {
			t.Errorf("line %s", line)
		}
	}
	if sum() != before {
		t.Errorf("a dry run changed the database")
	}
	text := run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--dry-run")
	text.want(t, 0, "would send 1 message")
	if !strings.Contains(text.out, "Subject: HIGH buying intent: Jane Doe at acme.com") || !strings.Contains(text.out, "Account owner") {
		t.Errorf("text dry run:\n%s", text.out)
	}
}

func TestAlertDeliversAndNamesFailures(t *testing.T) {
	db := alertFixture(t)
	r := alerttest.NewReceiver(t)
	r.Next(alerttest.Response{Status: http.StatusUnprocessableEntity, Body: "no thanks"})
	res := run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--webhook-url", r.URL())
	res.want(t, exitcode.Partial, "Jane Doe <j***@acme.com> at acme.com via webhook: failed", "HTTP 422: no thanks")
	if strings.Contains(res.errOut, "jane.doe@acme.com") {
		t.Errorf("stderr shows the full address:\n%s", res.errOut)
	}
	// The rerun delivers it, with the key of the first attempt.
	res = run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--webhook-url", r.URL(), "--format", "json")
	res.want(t, 0)
	reqs := r.Requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Idempotency-Key") != reqs[1].Header.Get("Idempotency-Key") {
		t.Fatalf("%d requests, want the failed one retried with the same key", len(reqs))
	}
	var rep alertReport
	if err := json.Unmarshal([]byte(res.out), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, res.out)
	}
	if len(rep.Channels) != 1 || rep.Channels[0].Outcomes["sent"] != 1 || rep.Channels[0].Deliveries[0].ContactEmail != "jane.doe@acme.com" {
		t.Errorf("report %+v", rep)
	}
}

func TestAlertStdoutChannel(t *testing.T) {
	db := alertFixture(t)
	t.Setenv("INTENTALERT_CHANNELS", "stdout")
	res := run(t, "alert", "--db", db, "--as-of", "2024-04-30")
	res.want(t, 0, "stdout:", "sent 1")
	lines := strings.Split(strings.TrimSpace(res.out), "\n")
	if len(lines) != 1 {
		t.Fatalf("stdout:\n%s", res.out)
	}
	if p := payloadKeys(t, []byte(lines[0])); !strings.Contains(p["message"], "jane.doe@acme.com") {
		t.Errorf("payload %v", p)
	}
}

// TestAlertNeverShowsSecrets runs failing and misconfigured alerts with
// known fake secrets in every place they can come from, with debug logs,
// and looks for them in everything printed.
func TestAlertNeverShowsSecrets(t *testing.T) {
	fastRetries(t)
	db := alertFixture(t)
	r := alerttest.NewReceiver(t)
	secrets := map[string]string{
		"INTENTALERT_WEBHOOK_SECRET": "whsec-fake-0123456789",
		"SLACK_BOT_TOKEN":            "xoxb-fake-999-888-token",
		"SMTP_PASSWORD":              "fake-app-password-42",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	t.Setenv("INTENTALERT_WEBHOOK_URL", r.URL())
	t.Setenv("SMTP_HOST", "127.0.0.1")
	t.Setenv("SMTP_PORT", "1")
	t.Setenv("SMTP_USERNAME", "alerts@taktile.com")
	known := []string{r.Token, r.URL(), secrets["INTENTALERT_WEBHOOK_SECRET"], secrets["SLACK_BOT_TOKEN"], secrets["SMTP_PASSWORD"]}
	check := func(name string, res result, code int) {
		t.Helper()
		if res.code != code {
			t.Errorf("%s: exit %d, want %d\n%s", name, res.code, code, res.errOut)
		}
		for _, s := range known {
			if strings.Contains(res.out, s) || strings.Contains(res.errOut, s) {
				t.Errorf("%s: output shows the secret %q:\nstdout: %s\nstderr: %s", name, s, res.out, res.errOut)
			}
		}
	}
	// The receiver echoes the token and the secret back in its error.
	r.Next(alerttest.Response{Status: 400, Body: "bad hook " + r.Token + " " + secrets["INTENTALERT_WEBHOOK_SECRET"]})
	check("rejected", run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--verbose"), exitcode.Partial)
	r.Next(alerttest.Response{Status: 500, Body: "oops " + r.Token}, alerttest.Response{Status: 500, Body: "oops " + r.Token},
		alerttest.Response{Status: 500, Body: "oops " + r.Token}, alerttest.Response{Status: 500, Body: "oops " + r.Token},
		alerttest.Response{Status: 500, Body: "oops " + r.Token})
	check("server errors, json", run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--verbose", "--log-format", "json", "--format", "json", "--timeout", "2s"), exitcode.Partial)
	check("unreachable", run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--verbose", "--webhook-url", alerttest.Unreachable(t, "/hook/"+r.Token)), exitcode.Partial)
	check("smtp refused", run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--verbose", "--channel", "smtp", "--cooldown-days", "0"), exitcode.Partial)
	check("slack without a channel", run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--verbose", "--channel", "slack"), exitcode.Usage)
	check("http webhook", run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--webhook-url", "http://hooks.example.com/"+r.Token), exitcode.Usage)
	check("config check", run(t, "config", "check"), 0)
}

func TestAlertUsageAndDataErrors(t *testing.T) {
	db := alertFixture(t)
	t.Setenv("INTENTALERT_WEBHOOK_URL", "")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--channel", "pager"}, exitcode.Usage, `unknown channel "pager"`},
		{[]string{"--format", "xml"}, exitcode.Usage, "--format"},
		{[]string{"--concurrency", "0"}, exitcode.Usage, "--concurrency"},
		{[]string{"--outreach-window-days", "-1"}, exitcode.Usage, "--outreach-window-days"},
		{[]string{"--to", "not-an-address"}, exitcode.Usage, "--to"},
		{[]string{}, exitcode.Usage, "INTENTALERT_WEBHOOK_URL"},
		{[]string{"--channel", "smtp"}, exitcode.Usage, "SMTP_HOST"},
		{[]string{"--channel", "slack"}, exitcode.Usage, "SLACK_WEBHOOK_URL"},
		{[]string{"--dry-run", "--db", filepath.Join(t.TempDir(), "missing.duckdb")}, exitcode.Data, "does not exist"},
	}
	for _, tt := range tests {
		args := append([]string{"alert", "--db", db, "--as-of", "2024-04-30"}, tt.args...)
		run(t, args...).want(t, tt.code, tt.want)
	}
	noVerify := crmtest.New(t)
	noVerify.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	noVerify.Close()
	run(t, "alert", "--db", noVerify.Path, "--dry-run").want(t, exitcode.Data, "crm.valid_emails", "intentalert verify")
	run(t, "alert", "--help").want(t, 0)
}

func TestAlertStep(t *testing.T) {
	db := alertFixture(t)
	rcv := alerttest.NewReceiver(t)
	a := &app{streams: Streams{Out: os.Stdout, Err: os.Stderr}, now: time.Now, log: slog.New(slog.DiscardHandler)}
	f := &alertFlags{channels: []string{"webhook"}, webhookURL: rcv.URL(), to: "biz-dev@taktile.com", from: "intent-alerts@taktile.com",
		outreachDays: 14, cooldownDays: 7, concurrency: 1, timeout: 5 * time.Second, evidenceDays: 7}
	if err := f.validate(a, true); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	env := pipeline.Env{Store: st, AsOf: time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC), Log: slog.New(slog.DiscardHandler), Now: time.Now}
	res, err := a.alertStep(f).Run(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if res.Alerts["webhook"]["sent"] != 1 || res.Counts["selected"] != 1 || res.Counts["excluded_invalid"] != 1 || len(rcv.Requests()) != 1 {
		t.Errorf("step result %+v, %d POSTs; want one sent", res, len(rcv.Requests()))
	}
}

func TestAlertEveryChannelAtOnce(t *testing.T) {
	db := alertFixture(t)
	hook := alerttest.NewReceiver(t)
	slack := alerttest.NewSlack(t)
	mail := alerttest.NewSMTPServer(t, alerttest.SMTPPlain)
	t.Setenv("INTENTALERT_WEBHOOK_URL", hook.URL())
	t.Setenv("SLACK_WEBHOOK_URL", slack.WebhookURL())
	t.Setenv("SMTP_HOST", mail.Host)
	t.Setenv("SMTP_PORT", fmt.Sprint(mail.Port))
	t.Setenv("SMTP_USERNAME", mail.Username)
	t.Setenv("SMTP_PASSWORD", mail.Password)
	res := run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--channel", "webhook,slack", "--channel", "smtp")
	res.want(t, 0, "webhook: 3 contacts", "slack: 3 contacts", "smtp: 3 contacts")
	if len(hook.Deliveries()) != 1 || len(slack.Deliveries()) != 1 || len(mail.Messages()) != 1 {
		t.Fatalf("deliveries: webhook %d, slack %d, smtp %d; want 1 each", len(hook.Deliveries()), len(slack.Deliveries()), len(mail.Messages()))
	}
	if v := slack.Violations(); len(v) > 0 {
		t.Errorf("Slack markup in %q", v)
	}
	if m := mail.Messages()[0]; m.From != "intent-alerts@taktile.com" || !slices.Equal(m.To, []string{"biz-dev@taktile.com"}) ||
		!strings.Contains(string(m.Data), "Subject: HIGH buying intent: Jane Doe at acme.com") {
		t.Errorf("email from %s to %v:\n%s", m.From, m.To, m.Data)
	}
	run(t, "alert", "--db", db, "--as-of", "2024-04-30", "--channel", "webhook,slack,smtp").want(t, 0, "already sent 1")
	if len(hook.Requests())+len(slack.Requests())+mail.Transactions() != 3 {
		t.Errorf("the rerun sent something")
	}
}
