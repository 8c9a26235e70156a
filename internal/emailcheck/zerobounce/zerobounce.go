// Package zerobounce checks addresses with the ZeroBounce v2 API: batches
// of up to 200 with validatebatch on the bulk host, single addresses (and
// the ones a batch did not answer) with validate, and the balance with
// getcredits. ZeroBounce reports many errors inside HTTP 200 bodies; this
// client reads every body before trusting the status (providers.md 1.9).
package zerobounce

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/internal/flexjson"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the provider's name.
const Name = "zerobounce"

// MaxBatch is the documented maximum of addresses per validatebatch call.
const MaxBatch = 200

// Batch calls are limited to 5 a minute on the batch page (20 on the rate
// limits page); going over blocks the key for 10 minutes. The client
// paces itself at the lower figure.
const (
	batchesPerMinute = 5
	bodyLimit        = 8 << 20
)

// Client is a ZeroBounce client. It makes one attempt per call and leaves
// retries to the caller.
type Client struct {
	key  string
	base string
	bulk string
	http *http.Client
	now  func() time.Time
}

// accountError matches the messages that mean a bad key or no credits
// (providers.md 1.9).
var accountError = regexp.MustCompile(`(?i)invalid api ?key|ran out of credits|missing parameter: ?api_key`)

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		key:  strings.TrimSpace(cfg.APIKey),
		base: strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/"),
		bulk: strings.TrimRight(cmp.Or(cfg.BulkURL, DefaultBulkURL), "/"),
		http: cfg.HTTPClient,
		now:  cfg.Now,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Name implements emailcheck.Checker.
func (c *Client) Name() string { return Name }

// MaxBatch implements emailcheck.Checker.
func (c *Client) MaxBatch() int { return MaxBatch }

// Limit implements emailcheck.Pacer: 5 calls a minute, in a burst of 5.
func (c *Client) Limit() (rate.Limit, int) {
	return rate.Every(time.Minute / batchesPerMinute), batchesPerMinute
}

// Check implements emailcheck.Checker. One address goes to validate, more
// to validatebatch; an address the batch answer leaves out or reports as a
// row error is then tried once with validate, and comes back unknown
// (sub-status not_answered, no credit) when that fails too, so that the
// credits already spent on the batch are never lost.
func (c *Client) Check(ctx context.Context, emails []string) ([]emailcheck.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.wrap("check", outbound.TransportError(ctx, err))
	}
	if len(emails) > MaxBatch {
		return nil, outbound.Permanent(fmt.Errorf("zerobounce: %d addresses in one call, at most %d", len(emails), MaxBatch))
	}
	send, results := emailcheck.SplitMalformed(emails, Name, c.now())
	switch len(send) {
	case 0:
		return results, nil
	case 1:
		r, err := c.validate(ctx, send[0])
		if err != nil {
			return nil, err
		}
		return append(results, r), nil
	}
	batch, err := c.batch(ctx, send)
	if err != nil {
		return nil, err
	}
	return append(results, batch...), nil
}

// validateAnswer is a validate object (providers.md 1.3): a result only
// when address and status are strings, else maybe an error.
type validateAnswer struct {
	Address   flexjson.String  `json:"address"`
	Status    flexjson.String  `json:"status"`
	SubStatus flexjson.String  `json:"sub_status"`
	Error     flexjson.Message `json:"error"`
	Message   flexjson.Message `json:"message"`
}

func (a validateAnswer) ok() bool {
	return a.Address.Valid && a.Address.Value != "" && a.Status.Valid && a.Status.Value != ""
}

func (a validateAnswer) problem() string { return cmp.Or(a.Error.Text, a.Message.Text) }

// validate checks one address with GET validate.
func (c *Client) validate(ctx context.Context, email string) (emailcheck.Result, error) {
	q := url.Values{"api_key": {c.key}, "email": {email}, "ip_address": {""}}
	body, err := c.do(ctx, "validate", http.MethodGet, c.base+"/validate?"+q.Encode(), nil)
	if err != nil {
		return emailcheck.Result{}, err
	}
	var a validateAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return emailcheck.Result{}, c.wrap("validate", unreadable(body))
	}
	if !a.ok() {
		return emailcheck.Result{}, c.wrap("validate", bodyError(http.StatusOK, a.problem(), body))
	}
	return c.result(email, a, body), nil
}

type batchAnswer struct {
	EmailBatch []json.RawMessage `json:"email_batch"`
	Errors     []struct {
		Error        flexjson.Message `json:"error"`
		EmailAddress flexjson.String  `json:"email_address"`
	} `json:"errors"`
	Error   flexjson.Message `json:"error"`
	Message flexjson.Message `json:"message"`
}

type batchRow struct {
	EmailAddress string `json:"email_address"`
	IPAddress    string `json:"ip_address"`
}

// batch checks well-formed addresses with POST validatebatch.
func (c *Client) batch(ctx context.Context, emails []string) ([]emailcheck.Result, error) {
	req := struct {
		APIKey     string     `json:"api_key"`
		EmailBatch []batchRow `json:"email_batch"`
	}{APIKey: c.key}
	for _, e := range emails {
		req.EmailBatch = append(req.EmailBatch, batchRow{EmailAddress: e})
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, outbound.Permanent(fmt.Errorf("zerobounce: encode batch: %w", err))
	}
	body, err := c.do(ctx, "validatebatch", http.MethodPost, c.bulk+"/validatebatch", payload)
	if err != nil {
		return nil, err
	}
	var a batchAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, c.wrap("validatebatch", unreadable(body))
	}
	for _, e := range a.Errors {
		if strings.EqualFold(e.EmailAddress.Value, "all") {
			return nil, c.wrap("validatebatch", bodyError(http.StatusOK, e.Error.Text, body))
		}
	}
	if a.EmailBatch == nil && len(a.Errors) == 0 {
		return nil, c.wrap("validatebatch", bodyError(http.StatusOK, a.problem(), body))
	}
	got := map[string]emailcheck.Result{}
	for _, raw := range a.EmailBatch {
		var row validateAnswer
		if json.Unmarshal(raw, &row) != nil || !row.ok() {
			continue
		}
		e := strings.ToLower(strings.TrimSpace(row.Address.Value))
		if _, dup := got[e]; !dup {
			got[e] = c.result(e, row, raw)
		}
	}
	rowErrors := map[string]string{}
	for _, e := range a.Errors {
		rowErrors[strings.ToLower(strings.TrimSpace(e.EmailAddress.Value))] = e.Error.Text
	}
	out := make([]emailcheck.Result, 0, len(emails))
	for _, e := range emails {
		if r, ok := got[e]; ok {
			out = append(out, r)
			continue
		}
		out = append(out, c.straggler(ctx, e, rowErrors[e]))
	}
	return out, nil
}

func (a batchAnswer) problem() string { return cmp.Or(a.Error.Text, a.Message.Text) }

// straggler tries once with validate an address the batch did not answer.
func (c *Client) straggler(ctx context.Context, email, rowError string) emailcheck.Result {
	r, err := c.validate(ctx, email)
	if err == nil {
		return r
	}
	detail := map[string]string{"validate_error": err.Error()}
	if rowError != "" {
		detail["batch_error"] = outbound.Scrub(rowError, c.key)
	}
	raw, _ := json.Marshal(detail)
	return emailcheck.Result{Email: email, Verdict: emailcheck.Unknown, SubStatus: "not_answered", Provider: Name, CheckedAt: c.now().UTC(), Raw: raw}
}

// creditsAnswer is getcredits' answer: Credits as a string or a number.
type creditsAnswer struct {
	Credits flexjson.String  `json:"credits"`
	Error   flexjson.Message `json:"error"`
	Message flexjson.Message `json:"message"`
}

// Credits implements emailcheck.CreditChecker. ZeroBounce answers -1 for
// an invalid key: that is an error wrapping emailcheck.ErrAuth.
func (c *Client) Credits(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, c.wrap("getcredits", outbound.TransportError(ctx, err))
	}
	q := url.Values{"api_key": {c.key}}
	body, err := c.do(ctx, "getcredits", http.MethodGet, c.base+"/getcredits?"+q.Encode(), nil)
	if err != nil {
		return 0, err
	}
	var a creditsAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return 0, c.wrap("getcredits", unreadable(body))
	}
	n, ok := a.Credits.Int()
	switch {
	case !ok:
		return 0, c.wrap("getcredits", bodyError(http.StatusOK, cmp.Or(a.Error.Text, a.Message.Text), body))
	case n < 0:
		return 0, c.wrap("getcredits", outbound.Permanent(fmt.Errorf("%w (getcredits answered %d)", emailcheck.ErrAuth, n)))
	}
	return n, nil
}

// do makes one request and returns the body of a 200 answer. Any other
// status, and a transport failure, is a classified error.
func (c *Client) do(ctx context.Context, op, method, u string, payload []byte) ([]byte, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, c.wrap(op, outbound.Permanent(outbound.RedactURL(err)))
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "intentalert")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.wrap(op, outbound.TransportError(ctx, err))
	}
	defer outbound.Drain(resp)
	body, err := outbound.ReadBody(resp, bodyLimit)
	if err != nil {
		return nil, c.wrap(op, outbound.TransportError(ctx, err))
	}
	if resp.StatusCode == http.StatusOK {
		return body, nil
	}
	return nil, c.wrap(op, statusError(resp, body))
}

// statusError classifies a non-200 answer: 403 is the API Shield firewall,
// a bad key or empty account is permanent whatever the status, the rest
// follows outbound (429 and 5xx retried, Retry-After honoured).
func statusError(resp *http.Response, body []byte) error {
	if resp.StatusCode == http.StatusForbidden {
		return &outbound.Error{Status: resp.StatusCode, Err: fmt.Errorf(
			"%w (HTTP 403, ZeroBounce's API Shield): allow this machine's IP address in the ZeroBounce dashboard or run from an allowed network; the answer was %q",
			emailcheck.ErrBlocked, outbound.Excerpt(body, 120))}
	}
	var a validateAnswer
	if json.Unmarshal(body, &a) == nil && accountError.MatchString(a.problem()) {
		return bodyError(resp.StatusCode, a.problem(), body)
	}
	return outbound.StatusError(resp, outbound.Excerpt(body, 200))
}

// bodyError classifies an error ZeroBounce put in a body: a bad key or an
// empty account (one message for both) stops the run; any other message is
// permanent too, since sending the same request again cannot change it.
func bodyError(status int, msg string, body []byte) error {
	if msg == "" {
		return unreadable(body)
	}
	if accountError.MatchString(msg) {
		return &outbound.Error{Status: status, Err: fmt.Errorf("%w or %w (ZeroBounce said %q, HTTP %d)",
			emailcheck.ErrAuth, emailcheck.ErrCredits, outbound.Truncate(msg, 200), status)}
	}
	return &outbound.Error{Status: status, Err: fmt.Errorf("ZeroBounce said %q (HTTP %d)", outbound.Truncate(msg, 200), status)}
}

// unreadable is the error for a 200 answer that is neither a result nor an
// error: worth another attempt.
func unreadable(body []byte) error {
	return &outbound.Error{Retry: true, Status: http.StatusOK, Err: fmt.Errorf("unreadable answer (HTTP 200): %q", outbound.Excerpt(body, 120))}
}

// wrap names the operation, keeps the classification and scrubs the key.
func (c *Client) wrap(op string, err error) error {
	return outbound.Annotate("zerobounce: "+op, err, c.key)
}

// result maps a validate object onto a verdict (docs/verification.md).
func (c *Client) result(email string, a validateAnswer, raw []byte) emailcheck.Result {
	status := strings.ToLower(strings.TrimSpace(a.Status.Value))
	verdict, sub := Verdict(status, strings.TrimSpace(a.SubStatus.Value))
	credits := 1
	if status == "unknown" {
		credits = 0 // providers.md 1.2: an unknown result never consumes a credit
	}
	return emailcheck.Result{
		Email: email, Verdict: verdict, SubStatus: sub, Provider: Name,
		CheckedAt: c.now().UTC(), Credits: credits,
		Raw: json.RawMessage(outbound.Scrub(string(raw), c.key)),
	}
}

// Verdict maps a ZeroBounce status and sub-status onto a verdict and the
// sub-status to record: spamtrap and abuse become do-not-mail with the
// status as sub-status, and a status ZeroBounce adds later is unknown.
func Verdict(status, subStatus string) (emailcheck.Verdict, string) {
	switch strings.ToLower(status) {
	case "valid":
		return emailcheck.Valid, subStatus
	case "invalid":
		return emailcheck.Invalid, subStatus
	case "catch-all", "catch_all", "catchall":
		return emailcheck.CatchAll, subStatus
	case "unknown":
		return emailcheck.Unknown, subStatus
	case "do_not_mail", "do-not-mail", "donotmail":
		return emailcheck.DoNotMail, subStatus
	case "spamtrap", "abuse":
		return emailcheck.DoNotMail, cmp.Or(subStatus, strings.ToLower(status))
	}
	return emailcheck.Unknown, strings.TrimSuffix("status "+status+"/"+subStatus, "/")
}
