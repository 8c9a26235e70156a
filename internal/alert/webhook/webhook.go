// Package webhook delivers alerts as HTTP POSTs of exactly the JSON object
// {"from", "to", "subject", "message"}, with an Idempotency-Key header and,
// when a secret is configured, an HMAC-SHA256 signature a receiver can
// verify (see Sign and Verify).
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the channel's name.
const Name = "webhook"

// DefaultRate is a pace any receiver takes: five messages per second.
const DefaultRate rate.Limit = 5

// Headers set on every request.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderTimestamp      = "X-Intentalert-Timestamp" // Unix seconds, when signed
	HeaderSignature      = "X-Intentalert-Signature" // "v1=" + hex HMAC-SHA256, when signed
)

// UserAgent identifies intentalert to receivers.
const UserAgent = "intentalert"

// Notifier posts alerts to one URL.
type Notifier struct {
	url     string
	secret  string
	client  *http.Client
	now     func() time.Time
	secrets []string // what must never show in an error
}

// New returns a Notifier for a valid configuration.
func New(c Config) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := &Notifier{url: c.URL, secret: c.Secret, client: c.Client, now: c.Now}
	if n.client == nil {
		n.client = NewClient()
	}
	if n.now == nil {
		n.now = time.Now
	}
	n.secrets = append(outbound.URLSecrets(c.URL), c.Secret)
	return n, nil
}

// NewClient returns an HTTP client of its own (no shared transport) that
// never follows redirects: a redirected POST would turn into a GET, and a
// redirect is a configuration error to report.
func NewClient() *http.Client {
	return &http.Client{
		Transport: http.DefaultTransport.(*http.Transport).Clone(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Name returns "webhook".
func (n *Notifier) Name() string { return Name }

// Body returns the exact request body for m: the four-key JSON object,
// without HTML escaping and without a trailing newline.
func Body(m alert.Message) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m.Payload()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Send makes one POST of m.
func (n *Notifier) Send(ctx context.Context, m alert.Message) error {
	body, err := Body(m)
	if err != nil {
		return outbound.Permanent(fmt.Errorf("webhook: encode payload: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return outbound.Permanent(fmt.Errorf("webhook: build request: %w", outbound.ScrubError(outbound.RedactURL(err), n.secrets...)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderIdempotencyKey, m.Key)
	if n.secret != "" {
		ts := strconv.FormatInt(n.now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(n.secret, ts, body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: post: %w", outbound.ScrubError(outbound.TransportError(ctx, err), n.secrets...))
	}
	defer outbound.Drain(resp)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	raw, _ := outbound.ReadBody(resp, 4096)
	return fmt.Errorf("webhook: %w", outbound.ScrubError(outbound.StatusError(resp, outbound.Excerpt(raw, 200)), n.secrets...))
}

// Sign returns the signature header value of a request: "v1=" followed by
// the hex HMAC-SHA256, keyed with secret, of the timestamp header value, a
// ".", and the exact body bytes.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// ErrBadSignature is returned by Verify for a request that was not signed
// with the secret, or whose timestamp is too old or too new.
var ErrBadSignature = errors.New("webhook: bad signature")

// Verify checks a received request the way a receiver should: the
// signature must match the timestamp and body, compared in constant time,
// and the timestamp must be within tolerance of now (which stops replays).
// A receiver in another language does the same: see docs/alerts.md.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTimestamp)
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: missing or malformed %s", ErrBadSignature, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(secs, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is outside the tolerance of %s", ErrBadSignature, ts, tolerance)
	}
	want := Sign(secret, ts, body)
	for _, got := range strings.Split(h.Get(HeaderSignature), ",") {
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(want)) == 1 {
			return nil
		}
	}
	return ErrBadSignature
}
