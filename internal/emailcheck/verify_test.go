package emailcheck_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/abstractapi"
	"github.com/intentalert/intentalert/internal/emailcheck/csvimport"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/emailcheck/offline"
	"github.com/intentalert/intentalert/internal/emailcheck/zerobounce"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

const key = emailchecktest.SecretKey

var start = time.Date(2024, 4, 30, 12, 0, 0, 0, time.UTC)

// contact is a contact of a company in a tier. email "" is NULL;
// crmtest.EmptyString is an empty string.
type contact struct{ company, tier, email string }

// fixture builds a segmented CRM (crm.customer_buying_intent filled
// directly) and opens it.
func fixture(t *testing.T, contacts ...contact) *store.Store {
	t.Helper()
	crm := crmtest.New(t)
	crm.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	seen := map[string]bool{}
	for _, c := range contacts {
		if !seen[c.company] {
			seen[c.company] = true
			crm.Company(c.company, c.company+".com", "")
			crm.Exec(`INSERT INTO crm.customer_buying_intent VALUES ($1, $2)`, c.company, c.tier)
		}
		crm.Contact(c.company, "F", "L", c.email, "")
	}
	crm.Close()
	return open(t, crm.Path)
}

// bigFixture is a HIGH company with n contacts user<i>@example.com.
func bigFixture(t *testing.T, n int) *store.Store {
	t.Helper()
	crm := crmtest.New(t)
	crm.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	crm.Exec(`INSERT INTO crm.customer_buying_intent VALUES ('big', 'HIGH')`)
	crm.Exec(`INSERT INTO crm.contacts SELECT 'big', 'c' || i, 'F', 'L', 'user' || lpad(i::VARCHAR, 5, '0') || '@example.com', '', 'load', 'd' || i FROM range($1) t(i)`, n)
	crm.Close()
	return open(t, crm.Path)
}

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// env is what a test run needs: a clock and a data directory.
type env struct {
	clock   *emailchecktest.Clock
	dataDir string
}

func newEnv(t *testing.T) *env {
	return &env{clock: emailchecktest.NewClock(start), dataDir: t.TempDir()}
}

func (e *env) opts(c emailcheck.Checker) emailcheck.Options {
	return emailcheck.Options{
		Checker: c, DataDir: e.dataDir, Now: e.clock.Now, Sleep: e.clock.Sleep,
		Backoff: outbound.Backoff{Base: time.Second, Max: 30 * time.Second, Attempts: 4},
	}
}

func zeroBounce(t *testing.T, credits int) (*emailchecktest.ZeroBounce, *zerobounce.Client) {
	t.Helper()
	fake := emailchecktest.NewZeroBounce(key, credits)
	base := fake.Start(t)
	c, err := zerobounce.New(zerobounce.Config{APIKey: key, BaseURL: base, BulkURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func offlineChecker(t *testing.T) *offline.Checker {
	t.Helper()
	c, err := offline.New(offline.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// validEmails reads crm.valid_emails as address -> is_email_valid.
func validEmails(t *testing.T, st *store.Store) map[string]bool {
	t.Helper()
	rows, err := st.DB.Query(`SELECT email, is_email_valid FROM crm.valid_emails`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var e string
		var v bool
		if err := rows.Scan(&e, &v); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[e]; dup {
			t.Errorf("crm.valid_emails holds %s twice", e)
		}
		out[e] = v
	}
	return out
}

func countRows(t *testing.T, st *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := st.DB.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRequiresSegmentation(t *testing.T) {
	crm := crmtest.New(t)
	crm.Company("a", "a.com", "")
	crm.Contact("a", "F", "L", "x@a.com", "")
	crm.Close()
	st := open(t, crm.Path)
	e := newEnv(t)
	_, err := emailcheck.Verify(context.Background(), st, e.opts(offlineChecker(t)))
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "run `intentalert segment` first") {
		t.Errorf("without crm.customer_buying_intent: %v (exit %d), want exit 3 saying to run segment", err, exitcode.Of(err))
	}
	if _, err := st.DB.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	_, err = emailcheck.Verify(context.Background(), st, e.opts(offlineChecker(t)))
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "is empty: run `intentalert segment` first") {
		t.Errorf("with an empty crm.customer_buying_intent: %v (exit %d), want exit 3", err, exitcode.Of(err))
	}
}

func TestScopeCacheAndWriteBack(t *testing.T) {
	st := fixture(t,
		contact{"h", "HIGH", " Ann@Example.COM "},
		contact{"h", "HIGH", "ann@example.com"},
		contact{"h", "HIGH", ""},
		contact{"h", "HIGH", crmtest.EmptyString},
		contact{"h", "HIGH", " \t "},
		contact{"h", "HIGH", "bad@@example.com"},
		contact{"h", "HIGH", "info@example.com"},
		contact{"h2", " high ", "zed@mailinator.com"},
		contact{"m", "MEDIUM", "mid@example.com"},
		contact{"l", "LOW", "low@example.com"},
	)
	e := newEnv(t)
	var progress [][2]int
	opts := e.opts(offlineChecker(t))
	opts.Details = true
	opts.Progress = func(done, total int) { progress = append(progress, [2]int{done, total}) }
	sum, err := emailcheck.Verify(context.Background(), st, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := emailcheck.Summary{
		Provider: "offline", Segments: []string{"HIGH"}, Contacts: 8, InScope: 4, Skipped: 3, Checked: 4, Malformed: 1,
		Valid: 1, Invalid: 1, DoNotMail: 2, Written: 4, WrittenValid: 1, CSV: filepath.Join(e.dataDir, "valid_emails.csv"),
	}
	got := sum
	got.Addresses = nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary\n got %+v\nwant %+v", got, want)
	}
	if len(sum.Addresses) != 4 || sum.Addresses[0].Email != "ann@example.com" || sum.Addresses[0].Valid == nil || !*sum.Addresses[0].Valid {
		t.Errorf("details = %+v", sum.Addresses)
	}
	wantTable := map[string]bool{"ann@example.com": true, "bad@@example.com": false, "info@example.com": false, "zed@mailinator.com": false}
	if got := validEmails(t, st); fmt.Sprint(got) != fmt.Sprint(wantTable) {
		t.Errorf("crm.valid_emails = %v, want %v", got, wantTable)
	}
	csv, err := os.ReadFile(sum.CSV)
	if err != nil {
		t.Fatal(err)
	}
	wantCSV := "email,is_email_valid\nann@example.com,true\nbad@@example.com,false\ninfo@example.com,false\nzed@mailinator.com,false\n"
	if string(csv) != wantCSV {
		t.Errorf("CSV =\n%s\nwant\n%s", csv, wantCSV)
	}
	if last := progress[len(progress)-1]; last != [2]int{4, 4} {
		t.Errorf("progress ended at %v, want [4 4]", last)
	}

	// A second run answers from the cache and records nothing new.
	before := countRows(t, st, `SELECT count(*) FROM crm.email_verifications`)
	sum, err = emailcheck.Verify(context.Background(), st, e.opts(offlineChecker(t)))
	if err != nil || sum.Cached != 4 || sum.Checked != 0 || sum.Written != 4 {
		t.Errorf("second run = %+v, %v; want 4 cached, none checked", sum, err)
	}
	if after := countRows(t, st, `SELECT count(*) FROM crm.email_verifications`); after != before {
		t.Errorf("second run recorded %d rows", after-before)
	}

	// Other segments widen the scope and replace the table.
	opts = e.opts(offlineChecker(t))
	opts.Segments = []string{"high", "MEDIUM", "HIGH"}
	sum, err = emailcheck.Verify(context.Background(), st, opts)
	if err != nil || sum.InScope != 5 || sum.Checked != 1 || sum.Cached != 4 || !slices.Equal(sum.Segments, []string{"HIGH", "MEDIUM"}) {
		t.Errorf("HIGH,MEDIUM = %+v, %v; want 5 in scope, 1 checked", sum, err)
	}
	if got := validEmails(t, st); len(got) != 5 || !got["mid@example.com"] {
		t.Errorf("crm.valid_emails = %v, want 5 rows with mid@example.com valid", got)
	}
}

func TestZeroBounceStatusesEndToEnd(t *testing.T) {
	var contacts []contact
	for _, local := range []string{"valid", "invalid", "catch_all", "spamtrap", "donotmail", "gold", "mxbool", "nullfields"} {
		contacts = append(contacts, contact{"h", "HIGH", local + "@example.com"})
	}
	contacts = append(contacts, contact{"h", "HIGH", "broken@@example.com"})
	st := fixture(t, contacts...)
	fake, c := zeroBounce(t, 100)
	e := newEnv(t)
	sum, err := emailcheck.Verify(context.Background(), st, e.opts(c))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Valid != 4 || sum.Invalid != 2 || sum.CatchAll != 1 || sum.DoNotMail != 2 || sum.CreditsSpent != 8 || sum.Malformed != 1 {
		t.Errorf("summary = %+v; want 4 valid, 2 invalid, 1 catch-all, 2 do-not-mail, 8 credits, 1 malformed", sum)
	}
	if fake.Spent() != 8 || fake.Count("/validatebatch") != 1 || fake.Count("/getcredits") != 1 {
		t.Errorf("fake: %d credits, %d batches, %d credit checks; want 8, 1, 1", fake.Spent(), fake.Count("/validatebatch"), fake.Count("/getcredits"))
	}
	for _, r := range fake.Requests() {
		if strings.Contains(r.Body, "broken") {
			t.Errorf("the malformed address was sent: %s", r.Body)
		}
	}
	var raw string
	if err := st.DB.QueryRow(`SELECT raw::VARCHAR FROM crm.email_verifications WHERE email = 'mxbool@example.com'`).Scan(&raw); err != nil || !strings.Contains(raw, `"mx_found":true`) {
		t.Errorf("raw JSON = %s, %v; want the provider's row", raw, err)
	}

	// --accept catch-all writes catch-all addresses as valid.
	opts := e.opts(c)
	opts.Accept = []emailcheck.Verdict{emailcheck.CatchAll}
	sum, err = emailcheck.Verify(context.Background(), st, opts)
	if err != nil || sum.WrittenValid != 5 || !validEmails(t, st)["catch_all@example.com"] {
		t.Errorf("--accept catch-all: %+v, %v; want 5 true rows", sum, err)
	}
}

func TestThousandContactsFiveBatchesThenNone(t *testing.T) {
	st := bigFixture(t, 1000)
	fake, c := zeroBounce(t, 5000)
	e := newEnv(t)
	sum, err := emailcheck.Verify(context.Background(), st, e.opts(c))
	if err != nil {
		t.Fatal(err)
	}
	if n := fake.Count("/validatebatch"); n > 5 {
		t.Errorf("%d batch requests, want at most 5", n)
	}
	if n, all := fake.Count("/getcredits"), len(fake.Requests()); n != 1 || all != fake.Count("/validatebatch")+1 {
		t.Errorf("%d credit checks, %d requests in all; want one credit check besides the batches", n, all)
	}
	if sum.Checked != 1000 || sum.CreditsSpent != 1000 || sum.Written != 1000 || fake.Spent() != 1000 {
		t.Errorf("summary = %+v, fake spent %d", sum, fake.Spent())
	}
	requests := len(fake.Requests())
	sum, err = emailcheck.Verify(context.Background(), st, e.opts(c))
	if err != nil || sum.Cached != 1000 || sum.CreditsSpent != 0 {
		t.Errorf("second run = %+v, %v", sum, err)
	}
	if n := len(fake.Requests()) - requests; n != 0 {
		t.Errorf("second run made %d requests, want none", n)
	}
}

func TestCancelThenRerunNeverPaysTwice(t *testing.T) {
	st := bigFixture(t, 1000)
	fake, c := zeroBounce(t, 5000)
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake.OnRequest(func(r emailchecktest.Request) {
		if strings.HasSuffix(r.Path, "/validatebatch") && fake.Count("/validatebatch") == 3 {
			// The third batch never answers (a delay would be read after
			// this hook returns, and could be reset first)...
			fake.Enqueue(emailchecktest.Reply{Hang: true})
			cancel() // ...and Ctrl-C comes
		}
	})
	opts := e.opts(c)
	opts.Concurrency = 1
	sum, err := emailcheck.Verify(ctx, st, opts)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "400 answers") {
		t.Fatalf("cancelled run: %v; want an interruption keeping 400 answers", err)
	}
	if sum.Checked != 400 || countRows(t, st, `SELECT count(*) FROM crm.email_verifications`) != 400 {
		t.Errorf("cancelled run: %+v; want the 400 answers of two batches recorded", sum)
	}
	if err := st.Require(context.Background(), store.Table{Name: "valid_emails"}); err == nil {
		t.Errorf("a failed run wrote crm.valid_emails (%d rows)", countRows(t, st, `SELECT count(*) FROM crm.valid_emails`))
	}

	fake.OnRequest(nil)
	sum, err = emailcheck.Verify(context.Background(), st, e.opts(c))
	if err != nil || sum.Checked != 600 || sum.Cached != 400 || sum.Written != 1000 {
		t.Fatalf("rerun = %+v, %v; want the other 600 checked", sum, err)
	}
	for addr, n := range fake.Charged() {
		if n != 1 {
			t.Errorf("%s charged %d times", addr, n)
		}
	}
	if fake.Spent() != 1000 {
		t.Errorf("spent %d credits for 1000 addresses", fake.Spent())
	}
}

func TestBudgetIsNeverExceeded(t *testing.T) {
	for _, budget := range []int{1, 150, 201} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			st := bigFixture(t, 1000)
			fake, c := zeroBounce(t, 5000)
			e := newEnv(t)
			opts := e.opts(c)
			opts.Budget = budget
			sum, err := emailcheck.Verify(context.Background(), st, opts)
			if err != nil {
				t.Fatal(err)
			}
			if fake.Spent() > budget || sum.CreditsSpent > budget {
				t.Errorf("spent %d (summary %d) with --budget %d", fake.Spent(), sum.CreditsSpent, budget)
			}
			if sum.Checked != budget || sum.Unchecked != 1000-budget || sum.Written != budget {
				t.Errorf("summary = %+v; want %d checked, the rest unchecked and not written", sum, budget)
			}
		})
	}
}

func TestCreditsPrecheck(t *testing.T) {
	st := bigFixture(t, 300)
	fake, c := zeroBounce(t, 100)
	e := newEnv(t)
	_, err := emailcheck.Verify(context.Background(), st, e.opts(c))
	if err == nil || exitcode.Of(err) != exitcode.Failure || !strings.Contains(err.Error(), "100 credits left") || !strings.Contains(err.Error(), "--allow-partial") {
		t.Fatalf("short of credits: %v (exit %d); want exit 1 offering --allow-partial", err, exitcode.Of(err))
	}
	if n := fake.Count("/validatebatch") + fake.Count("/validate"); n != 0 {
		t.Errorf("a refused run made %d validation requests", n)
	}
	opts := e.opts(c)
	opts.AllowPartial = true
	sum, err := emailcheck.Verify(context.Background(), st, opts)
	if err != nil || sum.Checked != 100 || sum.Unchecked != 200 || fake.Spent() != 100 || fake.Credits() != 0 {
		t.Errorf("--allow-partial = %+v, %v; want 100 checked, 200 left", sum, err)
	}
}

func TestBadKeyStopsBeforeAnyValidation(t *testing.T) {
	st := bigFixture(t, 10)
	fake := emailchecktest.NewZeroBounce(key, 100)
	base := fake.Start(t)
	c, err := zerobounce.New(zerobounce.Config{APIKey: "wrong-key-4242", BaseURL: base, BulkURL: base})
	if err != nil {
		t.Fatal(err)
	}
	_, err = emailcheck.Verify(context.Background(), st, newEnv(t).opts(c))
	if !errors.Is(err, emailcheck.ErrAuth) || exitcode.Of(err) != exitcode.Failure || strings.Contains(err.Error(), "wrong-key-4242") {
		t.Errorf("bad key: %v; want exit 1 wrapping ErrAuth, without the key", err)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d requests, want the credit check only", n)
	}
}

func TestPermanentErrorMidRunKeepsResults(t *testing.T) {
	st := bigFixture(t, 600)
	fake, c := zeroBounce(t, 600)
	fake.OnRequest(func(r emailchecktest.Request) {
		if strings.HasSuffix(r.Path, "/validatebatch") && fake.Count("/validatebatch") == 2 {
			fake.SetCredits(0) // someone else spent them meanwhile
		}
	})
	e := newEnv(t)
	opts := e.opts(c)
	opts.Concurrency = 1
	sum, err := emailcheck.Verify(context.Background(), st, opts)
	if !errors.Is(err, emailcheck.ErrCredits) || outbound.Retryable(err) || !strings.Contains(err.Error(), "200 answers") {
		t.Fatalf("out of credits mid-run: %v; want a permanent error keeping 200 answers", err)
	}
	if sum.Checked != 200 || fake.Count("/validatebatch") != 2 {
		t.Errorf("summary = %+v after %d batches; want 200 checked, no retry of the failed batch", sum, fake.Count("/validatebatch"))
	}
	fake.OnRequest(nil)
	fake.SetCredits(1000)
	sum, err = emailcheck.Verify(context.Background(), st, e.opts(c))
	if err != nil || sum.Checked != 400 || sum.Cached != 200 || fake.Spent() != 600 {
		t.Errorf("rerun = %+v, %v, spent %d; want the other 400 only", sum, err, fake.Spent())
	}
}

func TestRetriesHonourRetryAfterAndGiveUp(t *testing.T) {
	st := bigFixture(t, 5)
	fake, c := zeroBounce(t, 100)
	// The credit check goes through the same retry loop as the batches.
	fake.Enqueue(emailchecktest.Reply{Status: 500, Body: "oops with user00001@example.com"})
	fake.Enqueue(emailchecktest.Reply{Status: 429, Header: map[string][]string{"Retry-After": {"3"}}, Body: `{"error": "slow down"}`})
	fake.Enqueue(emailchecktest.Reply{Status: 403, Body: "error code: 1020"}) // not retried: stops the run
	e := newEnv(t)
	var logs bytes.Buffer
	opts := e.opts(c)
	opts.Log = slog.New(slog.NewTextHandler(&logs, nil))
	_, err := emailcheck.Verify(context.Background(), st, opts)
	if !strings.Contains(logs.String(), "retrying") || strings.Contains(logs.String(), "user00001@") {
		t.Errorf("logs = %s; want the retries logged without the address", logs.String())
	}
	if !errors.Is(err, emailcheck.ErrBlocked) || !strings.Contains(err.Error(), "getcredits") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("500, 429 then 403: %v; want the firewall error after 3 attempts", err)
	}
	if slept := e.clock.Slept(); !slices.Contains(slept, 3*time.Second) {
		t.Errorf("slept %v, want the 3s of Retry-After among them", slept)
	}

	for range 4 {
		fake.Enqueue(emailchecktest.Reply{Status: 503, Body: "<html><title>down</title></html>"})
	}
	_, err = emailcheck.Verify(context.Background(), st, e.opts(c))
	if err == nil || !strings.Contains(err.Error(), "after 4 attempts") || exitcode.Of(err) != exitcode.Failure {
		t.Errorf("503 four times: %v; want exit 1 after 4 attempts", err)
	}
	sum, err := emailcheck.Verify(context.Background(), st, e.opts(c))
	if err != nil || sum.Checked != 5 {
		t.Errorf("once the API is back: %+v, %v", sum, err)
	}
}

func TestSlowProviderTimesOut(t *testing.T) {
	st := bigFixture(t, 3)
	fake, c := zeroBounce(t, 100)
	fake.SetDelay(time.Hour)
	e := newEnv(t)
	opts := e.opts(c)
	opts.Timeout = 50 * time.Millisecond
	opts.Backoff.Attempts = 2
	began := time.Now()
	_, err := emailcheck.Verify(context.Background(), st, opts)
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("slow provider: %v; want a timeout after 2 attempts", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if fake.Spent() != 0 {
		t.Errorf("abandoned requests were charged")
	}
}

func TestUnknownIsRetriedAndMaxAgeAndRefresh(t *testing.T) {
	st := fixture(t, contact{"h", "HIGH", "valid@example.com"}, contact{"h", "HIGH", "greylisted@example.com"})
	fake, c := zeroBounce(t, 100)
	e := newEnv(t)
	run := func(mod func(*emailcheck.Options)) emailcheck.Summary {
		t.Helper()
		opts := e.opts(c)
		if mod != nil {
			mod(&opts)
		}
		sum, err := emailcheck.Verify(context.Background(), st, opts)
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	if sum := run(nil); sum.Checked != 2 || sum.Unknown != 1 || sum.CreditsSpent != 1 {
		t.Errorf("first run = %+v", sum)
	}
	if got := validEmails(t, st); len(got) != 2 || got["greylisted@example.com"] {
		t.Errorf("crm.valid_emails = %v; want the unknown address written false", got)
	}
	if sum := run(nil); sum.Checked != 1 || sum.Cached != 1 {
		t.Errorf("second run = %+v; want the unknown address checked again", sum)
	}
	e.clock.Advance(29 * 24 * time.Hour)
	if sum := run(nil); sum.Cached != 1 || sum.Checked != 1 {
		t.Errorf("29 days later = %+v; want valid@ still cached", sum)
	}
	e.clock.Advance(2 * 24 * time.Hour)
	if sum := run(nil); sum.Checked != 2 {
		t.Errorf("31 days later = %+v; want both checked again", sum)
	}
	if sum := run(func(o *emailcheck.Options) { o.MaxAge = time.Hour; e.clock.Advance(2 * time.Hour) }); sum.Checked != 2 {
		t.Errorf("--max-age 1h two hours later = %+v", sum)
	}
	if sum := run(func(o *emailcheck.Options) { o.Refresh = true }); sum.Checked != 2 || sum.Cached != 0 {
		t.Errorf("--refresh = %+v", sum)
	}
	if n := fake.Charged()["valid@example.com"]; n != 4 {
		t.Errorf("valid@ charged %d times, want 4 (first run, after 31 days, after max-age, refresh)", n)
	}
}

func TestAbstractAPIIsPaced(t *testing.T) {
	var contacts []contact
	for i := range 6 {
		contacts = append(contacts, contact{"h", "HIGH", fmt.Sprintf("person%d@example.com", i)})
	}
	st := fixture(t, contacts...)
	e := newEnv(t)
	fake := emailchecktest.NewAbstractAPI(key, 100)
	fake.SetNow(e.clock.Now)
	fake.LimitRate(1, true)
	c, err := abstractapi.New(abstractapi.Config{APIKey: key, BaseURL: fake.Start(t)})
	if err != nil {
		t.Fatal(err)
	}
	opts := e.opts(c)
	opts.Concurrency = 1
	sum, err := emailcheck.Verify(context.Background(), st, opts)
	if err != nil || sum.Checked != 6 || sum.Valid != 6 || sum.CreditsSpent != 6 {
		t.Fatalf("Verify = %+v, %v", sum, err)
	}
	if n := len(fake.Requests()); n != 6 {
		t.Errorf("%d requests for 6 addresses: the 1 request/s limit was hit", n)
	}
	if d := e.clock.Now().Sub(start); d < 5*time.Second {
		t.Errorf("6 requests took %v on the clock, want at least 5s at 1/s", d)
	}
}

func TestCSVImportRecordsEveryRow(t *testing.T) {
	st := fixture(t, contact{"h", "HIGH", "Ann@Example.com"}, contact{"h", "HIGH", "bob@example.com"}, contact{"h", "HIGH", "cy@example.com"})
	path := filepath.Join(t.TempDir(), "result.csv")
	os.WriteFile(path, []byte(",email,is_email_valid\n0,ann@example.com,True\n1,bob@example.com,False\n2,other@example.com,True\n"), 0o644)
	c, err := csvimport.New(csvimport.Config{File: path})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	sum, err := emailcheck.Verify(context.Background(), st, e.opts(c))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != 2 || sum.Unchecked != 1 || sum.OutOfScope != 1 || sum.Written != 2 {
		t.Errorf("summary = %+v; want 2 checked, cy unchecked, other recorded out of scope", sum)
	}
	if got := validEmails(t, st); len(got) != 2 || !got["ann@example.com"] || got["bob@example.com"] {
		t.Errorf("crm.valid_emails = %v; want ann true, bob false, cy absent", got)
	}
	if n := countRows(t, st, `SELECT count(*) FROM crm.email_verifications WHERE provider = 'csv'`); n != 3 {
		t.Errorf("%d rows recorded, want every row of the file (3)", n)
	}
}

// TestTaktileExport runs segment then the csv import on the real export:
// crm.valid_emails gets exactly Taktile's 7 rows, 2 valid.
func TestTaktileExport(t *testing.T) {
	shared := crmtest.SharedDir(t)
	db := filepath.Join(t.TempDir(), "db.duckdb")
	ctx := context.Background()
	if err := store.InitDuckDB(ctx, filepath.Join(shared, "db_src.duckdb"), db, false); err != nil {
		t.Fatal(err)
	}
	st := open(t, db)
	p := segment.Params{AsOf: time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC), HighDays: 7, MediumDays: 30}
	if _, err := segment.Run(ctx, st, p, start); err != nil {
		t.Fatal(err)
	}
	c, err := csvimport.New(csvimport.Config{File: filepath.Join(shared, "valid_emails.csv")})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	sum, err := emailcheck.Verify(ctx, st, e.opts(c))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"alvarado.alvarado@becker-moore.net": false, "love.love@becker-moore.net": false,
		"holloway.holloway@crawford.com": true, "gillespie.gillespie@pena-schmidt.com": false,
		"buck.buck@malone.com": false, "lopez.lopez@malone.com": false, "white.white@cummings.net": true,
	}
	if got := validEmails(t, st); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("crm.valid_emails = %v, want %v", got, want)
	}
	if sum.InScope != 7 || sum.Written != 7 || sum.WrittenValid != 2 || sum.OutOfScope != 0 || sum.Skipped != 0 {
		t.Errorf("summary = %+v", sum)
	}
}

// TestEveryEngine runs the SQL of verification on DuckDB and, when
// INTENTALERT_TEST_POSTGRES is set, on PostgreSQL.
func TestEveryEngine(t *testing.T) {
	for _, eng := range crmtest.Engines(t, store.Init) {
		t.Run(eng.Name, func(t *testing.T) {
			crm := crmtest.New(t)
			crm.Company("h", "h.com", "")
			crm.Company("m", "m.com", "")
			crm.Contact("h", "Ann", "Lee", " Ann@H.com\t", "")
			crm.Contact("h", "Bad", "Bad", "bad@@h.com", "")
			crm.Contact("h", "No", "One", "", "")
			crm.Contact("m", "Mo", "Po", "mo@m.com", "")
			crm.Close()
			st := open(t, eng.DSN(t, crm.Path))
			for _, q := range []string{
				`CREATE TABLE IF NOT EXISTS crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`,
				`INSERT INTO crm.customer_buying_intent VALUES ('h', 'HIGH'), ('m', 'MEDIUM')`,
			} {
				if _, err := st.DB.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			fake, c := zeroBounce(t, 100)
			e := newEnv(t)
			sum, err := emailcheck.Verify(context.Background(), st, e.opts(c))
			if err != nil {
				t.Fatal(err)
			}
			if sum.InScope != 2 || sum.Skipped != 1 || sum.Checked != 2 || sum.Malformed != 1 || sum.CreditsSpent != 1 {
				t.Errorf("summary = %+v", sum)
			}
			if got := validEmails(t, st); len(got) != 2 || !got["ann@h.com"] || got["bad@@h.com"] {
				t.Errorf("crm.valid_emails = %v", got)
			}
			if n := countRows(t, st, `SELECT count(*) FROM crm.email_verifications WHERE raw IS NOT NULL AND checked_at = $1::TIMESTAMP`, start.Format("2006-01-02 15:04:05")); n != 2 {
				t.Errorf("%d recorded checks with raw JSON at the run's time, want 2", n)
			}
			requests := len(fake.Requests())
			sum, err = emailcheck.Verify(context.Background(), st, e.opts(c))
			if err != nil || sum.Cached != 2 || len(fake.Requests()) != requests {
				t.Errorf("second run = %+v, %v, %d new requests", sum, err, len(fake.Requests())-requests)
			}
		})
	}
}
