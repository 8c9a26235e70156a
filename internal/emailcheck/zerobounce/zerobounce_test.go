package zerobounce_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/emailcheck/zerobounce"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

const key = emailchecktest.SecretKey

var (
	_ emailcheck.Checker       = (*zerobounce.Client)(nil)
	_ emailcheck.CreditChecker = (*zerobounce.Client)(nil)
	_ emailcheck.Pacer         = (*zerobounce.Client)(nil)
)

func newClient(t *testing.T, base string) *zerobounce.Client {
	t.Helper()
	c, err := zerobounce.New(zerobounce.Config{APIKey: key, BaseURL: base, BulkURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// started returns a fake with credits and a client talking to it.
func started(t *testing.T, credits int) (*emailchecktest.ZeroBounce, *zerobounce.Client) {
	t.Helper()
	fake := emailchecktest.NewZeroBounce(key, credits)
	return fake, newClient(t, fake.Start(t))
}

func TestConformance(t *testing.T) {
	emailchecktest.Run(t, emailchecktest.Provider{
		Name: zerobounce.Name,
		Fake: emailchecktest.NewZeroBounce(key, 1_000_000),
		New: func(t *testing.T, base string) emailcheck.Checker {
			return newClient(t, base+"/v2")
		},
	})
}

// want maps every local part the fake knows to the verdict and sub-status
// docs/verification.md promises.
var want = map[string]struct {
	verdict emailcheck.Verdict
	sub     string
}{
	"valid":                       {emailcheck.Valid, ""},
	"invalid":                     {emailcheck.Invalid, "mailbox_not_found"},
	"catch_all":                   {emailcheck.CatchAll, ""},
	"unknown":                     {emailcheck.Unknown, "mail_server_temporary_error"},
	"spamtrap":                    {emailcheck.DoNotMail, "spamtrap"},
	"abuse":                       {emailcheck.DoNotMail, "abuse"},
	"donotmail":                   {emailcheck.DoNotMail, "role_based"},
	"antispam_system":             {emailcheck.Unknown, "antispam_system"},
	"greylisted":                  {emailcheck.Unknown, "greylisted"},
	"mail_server_temporary_error": {emailcheck.Unknown, "mail_server_temporary_error"},
	"forcible_disconnect":         {emailcheck.Unknown, "forcible_disconnect"},
	"mail_server_did_not_respond": {emailcheck.Unknown, "mail_server_did_not_respond"},
	"timeout_exceeded":            {emailcheck.Unknown, "timeout_exceeded"},
	"failed_smtp_connection":      {emailcheck.Unknown, "failed_smtp_connection"},
	"exception_occurred":          {emailcheck.Unknown, "exception_occurred"},
	"mailbox_quota_exceeded":      {emailcheck.Invalid, "mailbox_quota_exceeded"},
	"mailbox_not_found":           {emailcheck.Invalid, "mailbox_not_found"},
	"no_dns_entries":              {emailcheck.Invalid, "no_dns_entries"},
	"failed_syntax_check":         {emailcheck.Invalid, "failed_syntax_check"},
	"possible_typo":               {emailcheck.Invalid, "possible_typo"},
	"unroutable_ip_address":       {emailcheck.Invalid, "unroutable_ip_address"},
	"does_not_accept_mail":        {emailcheck.Invalid, "does_not_accept_mail"},
	"disposable":                  {emailcheck.DoNotMail, "disposable"},
	"toxic":                       {emailcheck.DoNotMail, "toxic"},
	"role_based":                  {emailcheck.DoNotMail, "role_based"},
	"role_based_catch_all":        {emailcheck.DoNotMail, "role_based_catch_all"},
	"global_suppression":          {emailcheck.DoNotMail, "global_suppression"},
	"possible_trap":               {emailcheck.DoNotMail, "possible_trap"},
	"leading_period_removed":      {emailcheck.Valid, "leading_period_removed"},
	"gold":                        {emailcheck.Valid, "gold"},
	"role_based_accept_all":       {emailcheck.Valid, "role_based_accept_all"},
	"alias_address":               {emailcheck.Valid, "alias_address"},
	"alternate":                   {emailcheck.Valid, "alternate"},
	"free_email":                  {emailcheck.Valid, ""},
	"future_status":               {emailcheck.Unknown, "status deliverable_maybe/new_detail"},
	"nullfields":                  {emailcheck.Valid, ""},
	"mxbool":                      {emailcheck.Valid, ""},
	"catchallfield":               {emailcheck.Valid, ""},
}

func TestEveryStatusAndSubStatus(t *testing.T) {
	if len(want) != len(emailchecktest.ZeroBounceOutcomes) {
		t.Fatalf("the test knows %d local parts, the fake %d", len(want), len(emailchecktest.ZeroBounceOutcomes))
	}
	var emails []string
	for local := range want {
		emails = append(emails, local+"@example.com")
	}
	slices.Sort(emails)
	fake, c := started(t, 1000)

	batch, err := c.Check(context.Background(), emails)
	if err != nil {
		t.Fatal(err)
	}
	if n := fake.Count("/validatebatch"); n != 1 {
		t.Errorf("%d batch requests for %d addresses, want 1", n, len(emails))
	}
	check := func(how string, r emailcheck.Result) {
		t.Helper()
		local, _, _ := strings.Cut(r.Email, "@")
		w := want[local]
		if r.Verdict != w.verdict || r.SubStatus != w.sub {
			t.Errorf("%s %s: got %s/%q, want %s/%q", how, r.Email, r.Verdict, r.SubStatus, w.verdict, w.sub)
		}
		wantCredits := 1
		if emailchecktest.ZeroBounceOutcomes[local].Status == "unknown" {
			wantCredits = 0
		}
		if r.Credits != wantCredits {
			t.Errorf("%s %s: Credits = %d, want %d", how, r.Email, r.Credits, wantCredits)
		}
		var raw map[string]any
		if err := json.Unmarshal(r.Raw, &raw); err != nil || raw["address"] != r.Email {
			t.Errorf("%s %s: Raw = %s, want the provider's object for the address", how, r.Email, r.Raw)
		}
	}
	for _, r := range batch {
		check("batch", r)
	}
	if len(batch) != len(emails) {
		t.Errorf("batch: %d results for %d addresses", len(batch), len(emails))
	}
	for _, e := range emails {
		res, err := c.Check(context.Background(), []string{e})
		if err != nil || len(res) != 1 {
			t.Fatalf("validate %s: %v, %v", e, res, err)
		}
		check("validate", res[0])
	}
	if n := fake.Count("/validate"); n != len(emails) {
		t.Errorf("%d validate requests, want %d", n, len(emails))
	}
}

func TestRequestsGoToTheRightHostWithTheKey(t *testing.T) {
	fake := emailchecktest.NewZeroBounce(key, 100)
	root := strings.TrimSuffix(fake.Start(t), "/v2")
	c, err := zerobounce.New(zerobounce.Config{APIKey: key, BaseURL: root + "/api/v2", BulkURL: root + "/bulk/v2/"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(context.Background(), []string{"a@example.com", "b@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(context.Background(), []string{"c@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Credits(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := fake.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	var body struct {
		APIKey     string `json:"api_key"`
		EmailBatch []struct {
			EmailAddress string  `json:"email_address"`
			IPAddress    *string `json:"ip_address"`
		} `json:"email_batch"`
	}
	if err := json.Unmarshal([]byte(reqs[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	if reqs[0].Method != "POST" || reqs[0].Path != "/bulk/v2/validatebatch" || body.APIKey != key ||
		len(body.EmailBatch) != 2 || body.EmailBatch[1].EmailAddress != "b@example.com" || body.EmailBatch[0].IPAddress == nil {
		t.Errorf("batch request = %s %s %s", reqs[0].Method, reqs[0].Path, reqs[0].Body)
	}
	if reqs[1].Method != "GET" || reqs[1].Path != "/api/v2/validate" || reqs[1].Query.Get("api_key") != key ||
		reqs[1].Query.Get("email") != "c@example.com" || !reqs[1].Query.Has("ip_address") {
		t.Errorf("validate request = %s %s %v", reqs[1].Method, reqs[1].Path, reqs[1].Query)
	}
	if reqs[2].Path != "/api/v2/getcredits" || reqs[2].Query.Get("api_key") != key {
		t.Errorf("getcredits request = %s %v", reqs[2].Path, reqs[2].Query)
	}
}

func TestCredits(t *testing.T) {
	fake := emailchecktest.NewZeroBounce(key, 2375323)
	base := fake.Start(t)
	c := newClient(t, base)
	for _, asNumber := range []bool{false, true} {
		fake.CreditsAsNumber(asNumber)
		if n, err := c.Credits(context.Background()); n != 2375323 || err != nil {
			t.Errorf("Credits (as number %v) = %d, %v; want 2375323", asNumber, n, err)
		}
	}
	fake.SetCredits(0)
	if n, err := c.Credits(context.Background()); n != 0 || err != nil {
		t.Errorf("Credits with an empty account = %d, %v; want 0, no error", n, err)
	}
	wrongKey, err := zerobounce.New(zerobounce.Config{APIKey: "wrong-key-1234", BaseURL: base, BulkURL: base})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrongKey.Credits(context.Background())
	if !errors.Is(err, emailcheck.ErrAuth) || outbound.Retryable(err) || strings.Contains(err.Error(), "wrong-key-1234") {
		t.Errorf("Credits with a bad key (-1) = %v; want a permanent ErrAuth without the key", err)
	}
}

func TestAccountErrors(t *testing.T) {
	array, err := os.ReadFile("testdata/validate_error_array.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		emails []string
		setup  func(*emailchecktest.ZeroBounce)
		status int
	}{
		{"bad key, validate: error in a 200 body", []string{"a@example.com"}, nil, 200},
		{"bad key, batch: an all row", []string{"a@example.com", "b@example.com"}, nil, 200},
		{"no credits, validate", []string{"a@example.com"}, func(f *emailchecktest.ZeroBounce) { f.SetCredits(0) }, 200},
		{"no credits, batch", []string{"a@example.com", "b@example.com"}, func(f *emailchecktest.ZeroBounce) { f.SetCredits(1) }, 200},
		{"400 with the message", []string{"a@example.com"}, func(f *emailchecktest.ZeroBounce) {
			f.Enqueue(emailchecktest.Reply{Status: 400, Body: `{"error": "Invalid API key or your account ran out of credits"}`})
		}, 400},
		{"400 with the message in an array", []string{"a@example.com"}, func(f *emailchecktest.ZeroBounce) {
			f.Enqueue(emailchecktest.Reply{Status: 400, Body: string(array)})
		}, 400},
		{"missing api_key in a 200 body", []string{"a@example.com", "b@example.com"}, func(f *emailchecktest.ZeroBounce) {
			f.Enqueue(emailchecktest.Reply{Body: `{"error": "Missing parameter: api_key."}`})
		}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := emailchecktest.NewZeroBounce(key, 100)
			base := fake.Start(t)
			c := newClient(t, base)
			if strings.HasPrefix(tt.name, "bad key") {
				var err error
				c, err = zerobounce.New(zerobounce.Config{APIKey: "bad-key-5678", BaseURL: base, BulkURL: base})
				if err != nil {
					t.Fatal(err)
				}
			}
			if tt.setup != nil {
				tt.setup(fake)
			}
			res, err := c.Check(context.Background(), tt.emails)
			var oe *outbound.Error
			if err == nil || !errors.Is(err, emailcheck.ErrAuth) || !errors.Is(err, emailcheck.ErrCredits) || outbound.Retryable(err) ||
				!errors.As(err, &oe) || oe.Status != tt.status {
				t.Fatalf("Check = %d results, %v; want a permanent bad key or no credits error, HTTP %d", len(res), err, tt.status)
			}
			if strings.Contains(err.Error(), "bad-key-5678") || strings.Contains(err.Error(), key) {
				t.Errorf("the error carries the key: %v", err)
			}
			if fake.Spent() != 0 {
				t.Errorf("%d credits spent", fake.Spent())
			}
		})
	}
}

func TestFirewallAndProxyPages(t *testing.T) {
	page, err := os.ReadFile("testdata/firewall_403.html")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		reply   emailchecktest.Reply
		blocked bool
		retry   bool
		mention string
	}{
		{"403 Cloudflare page", emailchecktest.Reply{Status: 403, Body: string(page)}, true, false, "Access denied"},
		{"403 error code 1020", emailchecktest.Reply{Status: 403, Body: "error code: 1020"}, true, false, "error code: 1020"},
		{"520 HTML", emailchecktest.Reply{Status: 520, Body: "<html><head><title>520: Web server is returning an unknown error</title></head></html>"}, false, true, "520"},
		{"524 HTML", emailchecktest.Reply{Status: 524, Body: "<html><body><h1>A timeout occurred</h1></body></html>"}, false, true, "timeout occurred"},
		{"404 wrong URL", emailchecktest.Reply{Status: 404, Body: `{"error": "Not found"}`}, false, false, "404"},
	}
	fake, c := started(t, 100)
	for _, tt := range tests {
		for _, emails := range [][]string{{"a@example.com"}, {"a@example.com", "b@example.com"}} {
			fake.Enqueue(tt.reply)
			_, err := c.Check(context.Background(), emails)
			if err == nil || errors.Is(err, emailcheck.ErrBlocked) != tt.blocked || outbound.Retryable(err) != tt.retry || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("%s (%d addresses): %v; want blocked %v, retryable %v, mentioning %q", tt.name, len(emails), err, tt.blocked, tt.retry, tt.mention)
			}
			if strings.Contains(err.Error(), "<") {
				t.Errorf("%s: the error carries HTML: %v", tt.name, err)
			}
		}
	}
	if fake.Spent() != 0 {
		t.Errorf("%d credits spent on failures", fake.Spent())
	}
}

func TestBatchRateLimit(t *testing.T) {
	fake, c := started(t, 100)
	fake.LimitBatches(1, time.Minute, 600)
	emails := []string{"a@example.com", "b@example.com"}
	if _, err := c.Check(context.Background(), emails); err != nil {
		t.Fatal(err)
	}
	_, err := c.Check(context.Background(), emails)
	var oe *outbound.Error
	if !errors.As(err, &oe) || !oe.Retry || oe.Status != 429 || oe.RetryAfter != 10*time.Minute {
		t.Errorf("second batch in a minute = %v, want a retryable 429 with Retry-After 10m", err)
	}
}

func TestBatchAnswerQuirks(t *testing.T) {
	body, err := os.ReadFile("testdata/batch_mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	fake, c := started(t, 100)
	fake.Enqueue(emailchecktest.Reply{Body: string(body)})
	emails := []string{"valid@example.com", "nulls@example.com", "typed@example.com", "rowerror@example.com", "omitted@example.com"}
	res, err := c.Check(context.Background(), emails)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]emailcheck.Result{}
	for _, r := range res {
		got[r.Email] = r
	}
	wants := map[string]emailcheck.Verdict{
		"valid@example.com": emailcheck.Valid, "nulls@example.com": emailcheck.CatchAll, "typed@example.com": emailcheck.DoNotMail,
		// answered by the fake's validate, one request each
		"rowerror@example.com": emailcheck.Valid, "omitted@example.com": emailcheck.Valid,
	}
	for e, w := range wants {
		if got[e].Verdict != w {
			t.Errorf("%s: %s, want %s", e, got[e].Verdict, w)
		}
	}
	if len(res) != len(emails) {
		t.Errorf("%d results for %d addresses", len(res), len(emails))
	}
	if n := fake.Count("/validate"); n != 2 {
		t.Errorf("%d validate requests for the two stragglers, want 2", n)
	}
}

func TestStragglersTheFakeAnswers(t *testing.T) {
	fake, c := started(t, 100)
	emails := []string{"a@example.com", emailchecktest.ZeroBounceRowError + "@example.com", emailchecktest.ZeroBounceOmitted + "@example.com"}
	res, err := c.Check(context.Background(), emails)
	if err != nil || len(res) != 3 {
		t.Fatalf("Check = %v, %v", res, err)
	}
	if fake.Count("/validatebatch") != 1 || fake.Count("/validate") != 2 {
		t.Errorf("requests: %d batch, %d validate; want 1 and 2", fake.Count("/validatebatch"), fake.Count("/validate"))
	}
	// When validate fails too, the straggler is unknown and free, and the
	// batch's paid answers are kept.
	fake.Enqueue(emailchecktest.Reply{Status: 200, Body: `{"email_batch": [{"address": "a@example.com", "status": "valid", "sub_status": ""}], "errors": []}`},
		emailchecktest.Reply{Status: 500, Body: "oops"})
	res, err = c.Check(context.Background(), []string{"a@example.com", "b@example.com"})
	if err != nil || len(res) != 2 {
		t.Fatalf("Check = %v, %v", res, err)
	}
	for _, r := range res {
		if r.Email == "b@example.com" && (r.Verdict != emailcheck.Unknown || r.SubStatus != "not_answered" || r.Credits != 0) {
			t.Errorf("unanswered straggler = %+v, want unknown/not_answered, free", r)
		}
		if r.Email == "a@example.com" && r.Verdict != emailcheck.Valid {
			t.Errorf("batch answer lost: %+v", r)
		}
	}
}

func TestSlowAnswersAndTimeouts(t *testing.T) {
	fake, c := started(t, 100)
	fake.SetDelay(5 * time.Second)
	for _, emails := range [][]string{{"a@example.com"}, {"a@example.com", "b@example.com"}} {
		ctx, cancel := context.WithTimeoutCause(context.Background(), 100*time.Millisecond, errors.New("zerobounce: no answer within 100ms"))
		began := time.Now()
		_, err := c.Check(ctx, emails)
		cancel()
		if err == nil || !outbound.Retryable(err) || !strings.Contains(err.Error(), "no answer within 100ms") {
			t.Errorf("slow answer (%d addresses) = %v; want a retryable timeout", len(emails), err)
		}
		if d := time.Since(began); d > 3*time.Second {
			t.Errorf("Check waited %v past its deadline", d)
		}
	}
	if fake.Spent() != 0 {
		t.Errorf("abandoned requests were charged %d credits", fake.Spent())
	}
}

func TestUnreadableAnswers(t *testing.T) {
	fake, c := started(t, 100)
	for _, body := range []string{"", "{", `{"something": "else"}`, "<html>maintenance</html>"} {
		fake.Enqueue(emailchecktest.Reply{Body: body})
		_, err := c.Check(context.Background(), []string{"a@example.com"})
		if err == nil || !outbound.Retryable(err) {
			t.Errorf("200 answer %q = %v; want a retryable error", body, err)
		}
	}
}

func TestTooManyForOneCall(t *testing.T) {
	fake, c := started(t, 1000)
	emails := make([]string, 201)
	for i := range emails {
		emails[i] = "user" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + "@example.com"
	}
	if _, err := c.Check(context.Background(), emails); err == nil || outbound.Retryable(err) {
		t.Errorf("Check(201 addresses) = %v, want a permanent error", err)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  zerobounce.Config
		has  string
	}{
		{"no key", zerobounce.Config{}, "ZEROBOUNCE_API_KEY"},
		{"blank key", zerobounce.Config{APIKey: "  "}, "ZEROBOUNCE_API_KEY"},
		{"ftp URL", zerobounce.Config{APIKey: "k", BaseURL: "ftp://api.zerobounce.net/v2"}, "http or https"},
		{"key in the URL", zerobounce.Config{APIKey: "k", BulkURL: "https://bulkapi.zerobounce.net/v2?api_key=URLSECRET"}, "no user, query"},
		{"no host", zerobounce.Config{APIKey: "k", BaseURL: "https:///v2"}, "no host"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), tt.has) {
			t.Errorf("%s: Validate() = %v, want a usage error mentioning %q", tt.name, err, tt.has)
		}
		if err != nil && strings.Contains(err.Error(), "URLSECRET") {
			t.Errorf("%s: the error repeats the query: %v", tt.name, err)
		}
	}
	if err := (zerobounce.Config{APIKey: "k", BaseURL: "https://api-eu.zerobounce.net/v2"}).Validate(); err != nil {
		t.Errorf("regional URL refused: %v", err)
	}
}
