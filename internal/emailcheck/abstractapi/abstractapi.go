// Package abstractapi checks addresses with AbstractAPI's Email Validation
// API: one GET per address, at most one a second on free plans. It reads
// the is_* checks in both their current {"value", "text"} form and the
// older plain booleans (providers.md section 2).
package abstractapi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/internal/flexjson"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the provider's name.
const Name = "abstractapi"

const bodyLimit = 1 << 20

// Client is an AbstractAPI client. It makes one attempt per call and leaves
// retries and pacing to the caller (see Limit).
type Client struct {
	key       string
	base      string
	perSecond float64
	http      *http.Client
	now       func() time.Time
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		key:       strings.TrimSpace(cfg.APIKey),
		base:      strings.TrimRight(cmp.Or(cfg.BaseURL, DefaultBaseURL), "/"),
		perSecond: cmp.Or(cfg.PerSecond, DefaultPerSecond),
		http:      cfg.HTTPClient,
		now:       cfg.Now,
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

// MaxBatch implements emailcheck.Checker: the API checks one address per
// request.
func (c *Client) MaxBatch() int { return 1 }

// Limit implements emailcheck.Pacer: the plan's requests per second, no
// burst.
func (c *Client) Limit() (rate.Limit, int) { return rate.Limit(c.perSecond), 1 }

type answer struct {
	Email          flexjson.String  `json:"email"`
	Autocorrect    flexjson.String  `json:"autocorrect"`
	AutoCorrect    flexjson.String  `json:"auto_correct"`
	Deliverability flexjson.String  `json:"deliverability"`
	ValidFormat    flexjson.Bool    `json:"is_valid_format"`
	Disposable     flexjson.Bool    `json:"is_disposable_email"`
	Role           flexjson.Bool    `json:"is_role_email"`
	CatchAll       flexjson.Bool    `json:"is_catchall_email"`
	Error          flexjson.Message `json:"error"`
}

// Check implements emailcheck.Checker.
func (c *Client) Check(ctx context.Context, emails []string) ([]emailcheck.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, c.wrap(outbound.TransportError(ctx, err))
	}
	if len(emails) > 1 {
		return nil, outbound.Permanent(fmt.Errorf("abstractapi: %d addresses in one call, at most 1", len(emails)))
	}
	send, results := emailcheck.SplitMalformed(emails, Name, c.now())
	if len(send) == 0 {
		return results, nil
	}
	r, err := c.validate(ctx, send[0])
	if err != nil {
		return nil, err
	}
	return append(results, r), nil
}

func (c *Client) validate(ctx context.Context, email string) (emailcheck.Result, error) {
	q := url.Values{"api_key": {c.key}, "email": {email}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/?"+q.Encode(), nil)
	if err != nil {
		return emailcheck.Result{}, c.wrap(outbound.Permanent(outbound.RedactURL(err)))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "intentalert")
	resp, err := c.http.Do(req)
	if err != nil {
		return emailcheck.Result{}, c.wrap(outbound.TransportError(ctx, err))
	}
	defer outbound.Drain(resp)
	body, err := outbound.ReadBody(resp, bodyLimit)
	if err != nil {
		return emailcheck.Result{}, c.wrap(outbound.TransportError(ctx, err))
	}
	var a answer
	decodeErr := json.Unmarshal(body, &a)
	if resp.StatusCode != http.StatusOK {
		return emailcheck.Result{}, c.wrap(statusError(resp, body, a.Error.Text))
	}
	if decodeErr != nil || !a.Deliverability.Valid || a.Deliverability.Value == "" {
		if a.Error.Text != "" {
			return emailcheck.Result{}, c.wrap(&outbound.Error{Status: http.StatusOK, Err: fmt.Errorf("AbstractAPI said %q (HTTP 200)", outbound.Truncate(a.Error.Text, 200))})
		}
		return emailcheck.Result{}, c.wrap(&outbound.Error{Retry: true, Status: http.StatusOK, Err: fmt.Errorf("unreadable answer (HTTP 200): %q", outbound.Excerpt(body, 120))})
	}
	verdict, sub := verdictOf(a)
	return emailcheck.Result{
		Email: email, Verdict: verdict, SubStatus: sub, Provider: Name,
		CheckedAt: c.now().UTC(), Credits: 1,
		Raw: json.RawMessage(outbound.Scrub(string(body), c.key)),
	}, nil
}

// statusError classifies an error status (providers.md 2.3): 401 is a
// refused key and 422 a spent quota, both permanent; 429 and 5xx are
// retried, honouring Retry-After; other 4xx are permanent.
func statusError(resp *http.Response, body []byte, msg string) error {
	said := ""
	if msg != "" {
		said = fmt.Sprintf(": AbstractAPI said %q", outbound.Truncate(msg, 200))
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return &outbound.Error{Status: resp.StatusCode, Err: fmt.Errorf("%w (HTTP 401)%s", emailcheck.ErrAuth, said)}
	case http.StatusUnprocessableEntity:
		return &outbound.Error{Status: resp.StatusCode, Err: fmt.Errorf("%w: quota reached (HTTP 422)%s", emailcheck.ErrCredits, said)}
	}
	return outbound.StatusError(resp, outbound.Excerpt(body, 200))
}

// wrap names the provider, keeps the classification and scrubs the key.
func (c *Client) wrap(err error) error {
	return outbound.Annotate("abstractapi", err, c.key)
}

// verdictOf maps an answer onto a verdict and sub-status, first match wins:
// a bad format is invalid, a disposable address do-not-mail, UNDELIVERABLE
// invalid (possible_typo when the API suggests a correction), a role
// address do-not-mail, a catch-all domain catch-all, DELIVERABLE valid,
// RISKY catch-all, and UNKNOWN (or anything else) unknown.
func verdictOf(a answer) (emailcheck.Verdict, string) {
	deliverability := strings.ToUpper(strings.TrimSpace(a.Deliverability.Value))
	switch {
	case a.ValidFormat.Valid && !a.ValidFormat.Value:
		return emailcheck.Invalid, emailcheck.SubStatusSyntax
	case a.Disposable.True():
		return emailcheck.DoNotMail, "disposable"
	case deliverability == "UNDELIVERABLE":
		if cmp.Or(a.Autocorrect.Value, a.AutoCorrect.Value) != "" {
			return emailcheck.Invalid, "possible_typo"
		}
		return emailcheck.Invalid, "undeliverable"
	case a.Role.True():
		return emailcheck.DoNotMail, "role_based"
	case a.CatchAll.True():
		return emailcheck.CatchAll, ""
	case deliverability == "DELIVERABLE":
		return emailcheck.Valid, ""
	case deliverability == "RISKY":
		return emailcheck.CatchAll, "risky"
	case deliverability == "UNKNOWN":
		return emailcheck.Unknown, ""
	}
	return emailcheck.Unknown, "deliverability " + strings.ToLower(deliverability)
}
