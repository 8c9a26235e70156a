package abstractapi_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/abstractapi"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

const key = emailchecktest.SecretKey

var (
	_ emailcheck.Checker = (*abstractapi.Client)(nil)
	_ emailcheck.Pacer   = (*abstractapi.Client)(nil)
)

func newClient(t *testing.T, base string) *abstractapi.Client {
	t.Helper()
	c, err := abstractapi.New(abstractapi.Config{APIKey: key, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func started(t *testing.T, quota int) (*emailchecktest.AbstractAPI, *abstractapi.Client) {
	t.Helper()
	fake := emailchecktest.NewAbstractAPI(key, quota)
	return fake, newClient(t, fake.Start(t))
}

func check(t *testing.T, c *abstractapi.Client, email string) (emailcheck.Result, error) {
	t.Helper()
	res, err := c.Check(context.Background(), []string{email})
	if err != nil {
		return emailcheck.Result{}, err
	}
	if len(res) != 1 {
		t.Fatalf("Check(%s) = %d results", email, len(res))
	}
	return res[0], nil
}

func TestConformance(t *testing.T) {
	emailchecktest.Run(t, emailchecktest.Provider{
		Name: abstractapi.Name,
		Fake: emailchecktest.NewAbstractAPI(key, 1_000_000),
		New: func(t *testing.T, base string) emailcheck.Checker {
			return newClient(t, base+"/v1")
		},
	})
}

func TestEveryAnswer(t *testing.T) {
	tests := []struct {
		local   string
		verdict emailcheck.Verdict
		sub     string
	}{
		{"someone", emailcheck.Valid, ""},
		{emailchecktest.AbstractUndeliverable, emailcheck.Invalid, "undeliverable"},
		{emailchecktest.AbstractUnknown, emailcheck.Unknown, ""},
		{emailchecktest.AbstractDisposable, emailcheck.DoNotMail, "disposable"},
		{emailchecktest.AbstractRole, emailcheck.DoNotMail, "role_based"},
		{emailchecktest.AbstractCatchAll, emailcheck.CatchAll, ""},
		{emailchecktest.AbstractBadFormat, emailcheck.Invalid, emailcheck.SubStatusSyntax},
		{emailchecktest.AbstractRisky, emailcheck.CatchAll, "risky"},
		{emailchecktest.AbstractTypo, emailcheck.Invalid, "possible_typo"},
		{emailchecktest.AbstractLegacy, emailcheck.Valid, ""},
		{emailchecktest.AbstractScoreString, emailcheck.Valid, ""},
		{emailchecktest.AbstractAutoCorrect, emailcheck.Invalid, "possible_typo"},
		{emailchecktest.AbstractFreePlan, emailcheck.Valid, ""},
	}
	fake, c := started(t, 100)
	for _, tt := range tests {
		email := tt.local + "@example.com"
		r, err := check(t, c, email)
		if err != nil {
			t.Errorf("%s: %v", email, err)
			continue
		}
		if r.Verdict != tt.verdict || r.SubStatus != tt.sub || r.Credits != 1 || r.Email != email || len(r.Raw) == 0 {
			t.Errorf("%s: got %s/%q costing %d, want %s/%q costing 1", email, r.Verdict, r.SubStatus, r.Credits, tt.verdict, tt.sub)
		}
	}
	if got := 100 - fake.Quota(); got != len(tests) {
		t.Errorf("quota used %d, want %d", got, len(tests))
	}
}

func TestLegacyBooleansFromTestdata(t *testing.T) {
	body, err := os.ReadFile("testdata/legacy_booleans.json")
	if err != nil {
		t.Fatal(err)
	}
	fake, c := started(t, 100)
	fake.Enqueue(emailchecktest.Reply{Body: string(body)})
	r, err := check(t, c, "legacy@example.com")
	if err != nil || r.Verdict != emailcheck.Valid {
		t.Errorf("legacy answer = %+v, %v; want valid", r, err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		reply      emailchecktest.Reply
		is         error
		retry      bool
		retryAfter time.Duration
		mention    string
	}{
		{"401", emailchecktest.Reply{Status: 401, Body: emailchecktest.AbstractUnauthorized}, emailcheck.ErrAuth, false, 0, "Invalid API key provided."},
		{"422", emailchecktest.Reply{Status: 422, Body: emailchecktest.AbstractQuotaReached}, emailcheck.ErrCredits, false, 0, "quota"},
		{"429 with Retry-After", emailchecktest.Reply{Status: 429, Header: http.Header{"Retry-After": {"2"}}, Body: emailchecktest.AbstractTooMany}, nil, true, 2 * time.Second, "429"},
		{"429 without Retry-After", emailchecktest.Reply{Status: 429, Body: emailchecktest.AbstractTooMany}, nil, true, 0, "429"},
		{"400", emailchecktest.Reply{Status: 400, Body: `{"error": {"message": "Bad request", "code": "bad_request", "details": null}}`}, nil, false, 0, "400"},
		{"500", emailchecktest.Reply{Status: 500, Body: `{"error": {"message": "Internal error", "code": "server_error", "details": null}}`}, nil, true, 0, "500"},
		{"503 HTML", emailchecktest.Reply{Status: 503, Body: "<html><head><title>Service Unavailable</title></head></html>"}, nil, true, 0, "Service Unavailable"},
		{"200 with an error", emailchecktest.Reply{Status: 200, Body: emailchecktest.AbstractUnauthorized}, nil, false, 0, "Invalid API key"},
		{"200 unreadable", emailchecktest.Reply{Status: 200, Body: "{"}, nil, true, 0, "unreadable"},
	}
	fake, c := started(t, 100)
	for _, tt := range tests {
		fake.Enqueue(tt.reply)
		_, err := check(t, c, "a@example.com")
		var oe *outbound.Error
		if err == nil || !errors.As(err, &oe) || oe.Retry != tt.retry || oe.RetryAfter != tt.retryAfter || !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("%s: %v; want retryable %v after %v, mentioning %q", tt.name, err, tt.retry, tt.retryAfter, tt.mention)
			continue
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: %v does not wrap %v", tt.name, err, tt.is)
		}
	}
}

func TestFakeAccountErrors(t *testing.T) {
	fake := emailchecktest.NewAbstractAPI(key, 1)
	base := fake.Start(t)
	bad, err := abstractapi.New(abstractapi.Config{APIKey: "bad-key-9999", BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := check(t, bad, "a@example.com"); !errors.Is(err, emailcheck.ErrAuth) || strings.Contains(err.Error(), "bad-key-9999") {
		t.Errorf("bad key: %v; want ErrAuth without the key", err)
	}
	c := newClient(t, base)
	if _, err := check(t, c, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := check(t, c, "b@example.com"); !errors.Is(err, emailcheck.ErrCredits) || outbound.Retryable(err) {
		t.Errorf("quota spent: %v; want a permanent ErrCredits", err)
	}
}

func TestOneRequestPerSecond(t *testing.T) {
	c := newClient(t, "https://emailvalidation.abstractapi.com/v1")
	if l, b := c.Limit(); l != rate.Limit(1) || b != 1 {
		t.Errorf("Limit() = %v, %d; want 1/s without burst", l, b)
	}
	clock := emailchecktest.NewClock(time.Date(2024, 4, 30, 12, 0, 0, 0, time.UTC))
	fake, c := started(t, 100)
	fake.SetNow(clock.Now)
	fake.LimitRate(1, true)
	if _, err := check(t, c, "a@example.com"); err != nil {
		t.Fatal(err)
	}
	_, err := check(t, c, "b@example.com")
	var oe *outbound.Error
	if !errors.As(err, &oe) || oe.Status != 429 || !oe.Retry || oe.RetryAfter != time.Second {
		t.Errorf("second request in the same second = %v; want a retryable 429 after 1s", err)
	}
	clock.Advance(time.Second)
	if _, err := check(t, c, "b@example.com"); err != nil {
		t.Errorf("a second later: %v", err)
	}
}

func TestSlowAnswer(t *testing.T) {
	fake, c := started(t, 100)
	fake.SetDelay(5 * time.Second)
	ctx, cancel := context.WithTimeoutCause(context.Background(), 100*time.Millisecond, errors.New("abstractapi: no answer within 100ms"))
	defer cancel()
	_, err := c.Check(ctx, []string{"a@example.com"})
	if err == nil || !outbound.Retryable(err) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Errorf("slow answer = %v, want a retryable timeout", err)
	}
	if fake.Quota() != 100 {
		t.Errorf("an abandoned request was charged")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg abstractapi.Config
		has string
	}{
		{abstractapi.Config{}, "ABSTRACTAPI_API_KEY"},
		{abstractapi.Config{APIKey: "k", BaseURL: "emailvalidation.abstractapi.com/v1"}, "http or https"},
		{abstractapi.Config{APIKey: "k", PerSecond: -1}, "positive"},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), tt.has) {
			t.Errorf("Validate(%+v) = %v, want a usage error mentioning %q", tt.cfg, err, tt.has)
		}
	}
}
