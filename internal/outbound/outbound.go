// Package outbound holds what every HTTP provider and channel shares: the
// classification of failures into retryable or permanent, Retry-After
// parsing, exponential backoff with jitter, and scrubbing secrets out of
// errors. Providers make one attempt per call; the callers' retry loops use
// these helpers so the policy lives in one place.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Error is a failed attempt, with what the retry loop needs to decide.
type Error struct {
	Retry      bool          // worth another attempt
	RetryAfter time.Duration // server-requested wait, 0 when none
	Status     int           // HTTP status, 0 when there was no response
	Err        error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Permanent wraps err as a failure that retrying will not fix.
func Permanent(err error) error { return &Error{Err: err} }

// Temporary wraps err as a failure worth retrying.
func Temporary(err error) error { return &Error{Retry: true, Err: err} }

// Retryable reports whether err is worth another attempt: an *Error says so
// itself; any other error (network failures, timeouts of one attempt) is
// retryable unless the context is done.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retry
	}
	return true
}

// RetryableStatus reports whether an HTTP status is worth retrying: 408,
// 425, 429 and every 5xx.
func RetryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusTooEarly ||
		code == http.StatusTooManyRequests || code >= 500
}

// StatusError classifies a non-2xx response. body is a short excerpt
// already read from the response (it must carry no secret).
func StatusError(resp *http.Response, body string) error {
	return &Error{
		Retry:      RetryableStatus(resp.StatusCode),
		RetryAfter: RetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		Status:     resp.StatusCode,
		Err:        fmt.Errorf("HTTP %d: %s", resp.StatusCode, Truncate(strings.TrimSpace(body), 200)),
	}
}

// RetryAfter parses a Retry-After header: delay seconds or an HTTP date.
// It returns 0 when the header is absent or unparseable, and caps the
// result at ten minutes.
func RetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(h); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 10*time.Minute)
}

// Backoff is an exponential backoff policy with full jitter.
type Backoff struct {
	Base     time.Duration // first delay (before jitter)
	Max      time.Duration // cap of one delay
	Attempts int           // attempts in all, the first included
}

// DefaultBackoff suits APIs and webhooks: 5 attempts, 0.5 s doubling to 30 s.
var DefaultBackoff = Backoff{Base: 500 * time.Millisecond, Max: 30 * time.Second, Attempts: 5}

// Delay returns the wait before attempt n+1 after attempt n (1-based)
// failed with err: the server's Retry-After when it gave one, else a random
// duration up to Base*2^(n-1), capped at Max.
func (b Backoff) Delay(n int, err error) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	ceil := b.Base << min(n-1, 20)
	if ceil > b.Max || ceil <= 0 {
		ceil = b.Max
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceil)) + 1)
}

// Do calls attempt until it succeeds, fails permanently, the attempts run
// out or ctx is done. sleep waits between attempts (tests pass a fake). It
// returns the number of attempts made and the last error, wrapped with the
// count.
func (b Backoff) Do(ctx context.Context, sleep func(context.Context, time.Duration) error, attempt func(context.Context) error) (int, error) {
	attempts := max(b.Attempts, 1)
	var err error
	for n := 1; ; n++ {
		if cerr := ctx.Err(); cerr != nil {
			if err == nil {
				err = cerr
			}
			return n - 1, err
		}
		err = attempt(ctx)
		if err == nil {
			return n, nil
		}
		if !Retryable(err) || n >= attempts {
			return n, fmt.Errorf("%w (after %d attempt%s)", err, n, plural(n))
		}
		if serr := sleep(ctx, b.Delay(n, err)); serr != nil {
			return n, fmt.Errorf("%w (after %d attempt%s)", err, n, plural(n))
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Sleep waits for d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Drain reads the rest of a response body (up to 64 KiB) and closes it so
// the connection can be reused.
func Drain(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// ReadBody reads at most limit bytes of a response body.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// RedactURL removes the URL from a *url.Error, since webhook URLs and query
// strings carry secrets, keeping the operation and the cause.
func RedactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}

// Scrub replaces every non-empty secret in s with "[redacted]".
func Scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
			s = strings.ReplaceAll(s, url.QueryEscape(sec), "[redacted]")
		}
	}
	return s
}

// Truncate shortens s to at most n runes, marking the cut with "…".
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
