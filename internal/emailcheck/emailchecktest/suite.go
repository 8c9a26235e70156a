package emailchecktest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/outbound"
)

// SecretKey is the API key the suite gives checkers. No error may carry it.
const SecretKey = "sk-TEST-7f3a9c-NEVER-LEAK"

// Good are well-formed addresses every fake answers.
var Good = []string{
	"valid@example.com", "invalid@example.com", "catch_all@example.com",
	"unknown@example.com", "donotmail@example.com", "someone@example.org",
}

// Malformed are addresses a checker must answer as invalid without sending
// them anywhere. Each one contains "neversent".
var Malformed = []string{
	"neversent.example.com",
	"neversent@@example.com",
	"never sent@example.com",
	"neversent..twice@example.com",
	".neversent@example.com",
	"neversent@example",
	"neversent@-example.com",
	"neversent@exa_mple.com",
	"neversent@example.123",
	strings.Repeat("n", 57) + "eversent@example.com", // a 65-octet local part
	"neversent@" + strings.Repeat("d", 64) + ".com",
	"neversent@" + strings.Repeat("abcdefghi.", 25) + "com",
}

// Provider is what Run needs to test a checker.
type Provider struct {
	// Name is the name the checker must report.
	Name string
	// Fake answers the provider's HTTP API; nil for a provider without a
	// network (offline, csv).
	Fake http.Handler
	// New returns the checker under test. With a Fake, it must talk to
	// baseURL (a server in front of the Fake that records requests and
	// injects failures; the provider appends its version path) with the key
	// SecretKey. It must answer every address of Good.
	New func(t *testing.T, baseURL string) emailcheck.Checker
}

// Run is the contract every Checker passes: one result per address asked,
// malformed addresses answered invalid and never sent, exactly one attempt
// per call with failures classified for the retry loop (500 and 429
// retryable, Retry-After honoured, 400 permanent, network failures
// retryable), context cancellation honoured, and no secret in any error.
func Run(t *testing.T, p Provider) {
	t.Helper()
	t.Run("answers every address", func(t *testing.T) { testAnswers(t, p) })
	t.Run("never sends a malformed address", func(t *testing.T) { testNeverSent(t, p) })
	t.Run("honours a cancelled context", func(t *testing.T) { testCancelled(t, p) })
	if p.Fake == nil {
		return
	}
	t.Run("classifies failures, one attempt each", func(t *testing.T) { testFailures(t, p) })
	t.Run("network failures are retryable", func(t *testing.T) { testNetwork(t, p) })
	t.Run("cancellation and timeout mid-request", func(t *testing.T) { testMidRequest(t, p) })
}

// front sits before a provider's fake: it records requests and serves
// injected failures.
type front struct {
	fake
	next http.Handler
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, reply := f.log(r, func(Request) []string { return nil })
	switch {
	case reply != nil:
		f.serve(w, r, *reply)
	case f.next != nil:
		f.next.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func newFront(t *testing.T, p Provider) (*front, emailcheck.Checker) {
	t.Helper()
	f := &front{fake: newFake(), next: p.Fake}
	base := ""
	if p.Fake != nil {
		base = start(t, f, f.Release)
	}
	c := p.New(t, base)
	if c.Name() != p.Name {
		t.Fatalf("Name() = %q, want %q", c.Name(), p.Name)
	}
	if c.MaxBatch() < 1 {
		t.Fatalf("MaxBatch() = %d, want at least 1", c.MaxBatch())
	}
	return f, c
}

// noSecret fails the test when err carries SecretKey in any form.
func noSecret(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, form := range []string{SecretKey, url.QueryEscape(SecretKey), strings.ToLower(SecretKey)} {
		if strings.Contains(msg, form) {
			t.Errorf("%s: the error carries the API key: %v", what, err)
		}
	}
}

// checkAll asks for emails in batches of MaxBatch and returns the results.
func checkAll(t *testing.T, c emailcheck.Checker, emails []string) []emailcheck.Result {
	t.Helper()
	var out []emailcheck.Result
	for batch := range slices.Chunk(emails, c.MaxBatch()) {
		res, err := c.Check(context.Background(), batch)
		noSecret(t, "Check", err)
		if err != nil {
			t.Fatalf("Check(%v): %v", batch, err)
		}
		out = append(out, res...)
	}
	return out
}

func testAnswers(t *testing.T, p Provider) {
	_, c := newFront(t, p)
	asked := slices.Concat(Good, Malformed)
	got := map[string]emailcheck.Result{}
	for _, r := range checkAll(t, c, asked) {
		if _, dup := got[r.Email]; dup {
			t.Errorf("two results for %s", r.Email)
		}
		got[r.Email] = r
	}
	for _, e := range asked {
		r, ok := got[e]
		if !ok {
			t.Errorf("no result for %q", e)
			continue
		}
		if r.Provider != p.Name {
			t.Errorf("%s: Provider = %q, want %q", e, r.Provider, p.Name)
		}
		if !slices.Contains(emailcheck.Verdicts, r.Verdict) {
			t.Errorf("%s: Verdict = %q, not one of %v", e, r.Verdict, emailcheck.Verdicts)
		}
		if r.CheckedAt.IsZero() {
			t.Errorf("%s: CheckedAt is zero", e)
		}
	}
	for _, e := range Malformed {
		if r := got[e]; r.Verdict != emailcheck.Invalid || r.SubStatus != emailcheck.SubStatusSyntax || r.Credits != 0 {
			t.Errorf("%q: got %s/%s costing %d, want invalid/%s costing nothing", e, r.Verdict, r.SubStatus, r.Credits, emailcheck.SubStatusSyntax)
		}
	}
	if len(got) != len(asked) {
		t.Errorf("%d results for %d addresses", len(got), len(asked))
	}
}

func testNeverSent(t *testing.T, p Provider) {
	f, c := newFront(t, p)
	res, err := c.Check(context.Background(), Malformed[:min(len(Malformed), c.MaxBatch())])
	if err != nil || len(res) != min(len(Malformed), c.MaxBatch()) {
		t.Fatalf("Check(malformed) = %d results, %v; want one each, no error", len(res), err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("a batch of malformed addresses made %d requests, want none", n)
	}
	checkAll(t, c, slices.Concat(Malformed, Good))
	for _, r := range f.Requests() {
		seen := strings.ToLower(r.Path + " " + r.Query.Encode() + " " + strings.Join(r.Query["email"], " ") + " " + r.Body)
		if strings.Contains(seen, "neversent") || strings.Contains(seen, "never+sent") || strings.Contains(seen, "never%20sent") {
			t.Errorf("a malformed address was sent: %s %s %s", r.Method, r.Path, outbound.Truncate(r.Body, 300))
		}
	}
}

func testCancelled(t *testing.T, p Provider) {
	f, c := newFront(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := c.Check(ctx, Good[:min(2, c.MaxBatch())])
	noSecret(t, "cancelled Check", err)
	if err == nil || !errors.Is(err, context.Canceled) || outbound.Retryable(err) {
		t.Errorf("Check(cancelled ctx) = %d results, %v; want an error wrapping context.Canceled, not retryable", len(res), err)
	}
	if n := len(f.Requests()); n != 0 {
		t.Errorf("Check(cancelled ctx) made %d requests, want none", n)
	}
}

func testFailures(t *testing.T, p Provider) {
	tests := []struct {
		name       string
		reply      Reply
		retry      bool
		retryAfter time.Duration
	}{
		{"500", Reply{Status: 500, Body: `{"error": "Internal server error"}`}, true, 0},
		{"503 HTML page", Reply{Status: 503, Body: "<html><head><title>503 Service Unavailable</title></head><body>down</body></html>"}, true, 0},
		{"429 with Retry-After", Reply{Status: 429, Header: http.Header{"Retry-After": {"7"}}, Body: `{"error": "Too many requests"}`}, true, 7 * time.Second},
		{"429 without Retry-After", Reply{Status: 429, Body: `{"error": "Too many requests"}`}, true, 0},
		{"400", Reply{Status: 400, Body: `{"error": "Bad request"}`}, false, 0},
		{"500 echoing the key", Reply{Status: 500, Body: `{"error": "internal error for api_key=` + SecretKey + `"}`}, true, 0},
		{"400 echoing the key", Reply{Status: 400, Body: `{"error": "bad key ` + SecretKey + `"}`}, false, 0},
		{"answer cut short", Reply{Cut: true}, true, 0},
	}
	f, c := newFront(t, p)
	sizes := []int{1}
	if c.MaxBatch() > 1 {
		sizes = append(sizes, min(3, c.MaxBatch()))
	}
	for _, tt := range tests {
		for _, n := range sizes {
			before := len(f.Requests())
			f.Enqueue(tt.reply)
			res, err := c.Check(context.Background(), Good[:n])
			if made := len(f.Requests()) - before; made != 1 {
				t.Errorf("%s, %d address(es): %d requests, want exactly one attempt", tt.name, n, made)
				f.mu.Lock()
				f.replies = nil
				f.mu.Unlock()
			}
			if err == nil {
				t.Errorf("%s, %d address(es): no error (%d results)", tt.name, n, len(res))
				continue
			}
			noSecret(t, tt.name, err)
			if got := outbound.Retryable(err); got != tt.retry {
				t.Errorf("%s, %d address(es): Retryable(%v) = %v, want %v", tt.name, n, err, got, tt.retry)
			}
			var oe *outbound.Error
			if !errors.As(err, &oe) {
				t.Errorf("%s, %d address(es): %T is not an *outbound.Error", tt.name, n, err)
				continue
			}
			if tt.reply.Status != 0 && oe.Status != tt.reply.Status {
				t.Errorf("%s, %d address(es): Status = %d, want %d", tt.name, n, oe.Status, tt.reply.Status)
			}
			if oe.RetryAfter != tt.retryAfter {
				t.Errorf("%s, %d address(es): RetryAfter = %v, want %v", tt.name, n, oe.RetryAfter, tt.retryAfter)
			}
			if len(res) != 0 {
				t.Errorf("%s, %d address(es): %d results with the error, want none", tt.name, n, len(res))
			}
		}
	}
}

func testNetwork(t *testing.T, p Provider) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close()
	c := p.New(t, base)
	_, err = c.Check(context.Background(), Good[:1])
	noSecret(t, "refused connection", err)
	if err == nil || !outbound.Retryable(err) {
		t.Errorf("Check against a closed port = %v, want a retryable error", err)
	}
}

func testMidRequest(t *testing.T, p Provider) {
	f, c := newFront(t, p)

	ctx, cancel := context.WithCancel(context.Background())
	f.OnRequest(func(Request) { cancel() })
	f.Enqueue(Reply{Hang: true})
	began := time.Now()
	_, err := c.Check(ctx, Good[:1])
	f.OnRequest(nil)
	noSecret(t, "cancelled mid-request", err)
	if err == nil || !errors.Is(err, context.Canceled) || outbound.Retryable(err) {
		t.Errorf("Check cancelled mid-request = %v, want an error wrapping context.Canceled, not retryable", err)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("Check took %v to notice the cancellation", d)
	}

	f.Enqueue(Reply{Hang: true})
	tctx, cancel2 := context.WithTimeoutCause(context.Background(), 100*time.Millisecond, errors.New("test: no answer within 100ms"))
	defer cancel2()
	_, err = c.Check(tctx, Good[:1])
	noSecret(t, "timed out", err)
	if err == nil || !outbound.Retryable(err) || errors.Is(err, context.Canceled) {
		t.Errorf("Check past its deadline = %v, want a retryable error", err)
	}

	f.Enqueue(Reply{Status: 200, Body: "", Delay: 0})
	_, err = c.Check(context.Background(), Good[:1])
	noSecret(t, "empty body", err)
	if err == nil {
		t.Errorf("Check with an empty 200 answer: no error")
	}
}
