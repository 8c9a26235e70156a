// Package alerttest is the contract every alert channel passes, written
// once: Run checks retries on server errors and throttling (with
// Retry-After honoured), no retry on rejections, cancellation, per-attempt
// timeouts, that no secret shows in an error, and that hostile CRM values
// stay inert. It also holds the local test doubles of the providers: a
// webhook receiver, a fake Slack (incoming webhooks and chat.postMessage)
// and a real SMTP server, all on 127.0.0.1.
package alerttest

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Mode is how a test double answers an attempt.
type Mode int

// The modes every double understands.
const (
	Accept      Mode = iota // deliver
	Transient               // HTTP 500, SMTP 451: retry
	RateLimited             // HTTP 429 with Retry-After, SMTP 421: retry, later
	Reject                  // HTTP 400 (or Slack's ok:false), SMTP 550: do not retry
	Hang                    // no answer until the client gives up
)

func (m Mode) String() string {
	return [...]string{"accept", "transient", "rate-limited", "reject", "hang"}[m]
}

// Delivery is one message a double accepted.
type Delivery struct {
	Header map[string][]string // HTTP headers, or the envelope for SMTP ("Mail-From", "Rcpt-To")
	Body   []byte              // the HTTP body, or the SMTP DATA
}

// Harness is one channel wired to a fresh test double.
type Harness struct {
	Channel alert.Channel
	// Next makes the double answer the next attempts with modes, in
	// order; later attempts are accepted.
	Next func(modes ...Mode)
	// Deliveries returns what the double accepted so far.
	Deliveries func() []Delivery
	// Secrets are the channel's secrets (URL, token, password): none may
	// show in an error.
	Secrets []string
	// RetryAfter is the wait RateLimited asks for; 0 when the protocol
	// cannot ask for one.
	RetryAfter time.Duration
	// Unsupported lists the modes the double cannot produce.
	Unsupported []Mode
	// Check asserts that d is well-formed for the channel, carries m, and
	// that any hostile value in it is inert.
	Check func(t *testing.T, d Delivery, m alert.Message)
	// Unreachable, when set, returns the channel pointed at an address
	// where nothing listens.
	Unreachable func() alert.Channel
}

// Factory builds a fresh harness for one subtest.
type Factory func(t *testing.T) *Harness

// AsOf is the date of the sample alerts.
var AsOf = time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)

// Sample returns an ordinary alert.
func Sample() alert.Alert {
	return alert.Alert{
		ContactEmail: "white.white@cummings.net", FirstName: "Wendy", LastName: "White", Phone: "+1-555-0100",
		CompanyID: "3f1c-cummings", Domain: "cummings.net", Address: "12 Harbour Road, Springfield", Segment: "HIGH",
		EvidenceDays: 7,
		Visit:        &alert.Visit{Date: "2024-04-29", Visitor: "someone@cummings.net"},
		News:         &alert.News{Date: "2024-04-28", Headline: "Cummings raises a Series B", URL: "https://www.cummings.net/news/series-b"},
		LastOutreach: &alert.Outreach{Date: "2024-03-02", From: "john.doe@taktile.com", Subject: "Decisioning for lenders"},
		AsOf:         AsOf,
	}
}

// Hostile returns an alert whose every CRM value tries something: Slack
// control sequences, HTML, CR/LF header injection, bidirectional
// overrides, invalid UTF-8 and a very long value.
func Hostile() alert.Alert {
	return alert.Alert{
		ContactEmail: "eve<!here>@evil.example",
		FirstName:    "<!channel> <b>Eve</b> & *bold*",
		LastName:     "Smith\r\nBcc: victim@evil.example\r\n\r\n<script>alert(1)</script>",
		Phone:        "+1 555\u202e0100",
		Duplicates:   1,
		CompanyID:    "c-1\x00\x1b[31m",
		Domain:       "evil.example\nSubject: pwned",
		Address:      strings.Repeat("A very long address & <more> ", 3000),
		Segment:      "HIGH",
		EvidenceDays: 7,
		Visit:        &alert.Visit{Date: "2024-04-29", Visitor: "<@U12345>@evil.example"},
		News:         &alert.News{Date: "2024-04-28", Headline: "<https://evil.example|Your bank> & <!everyone>", URL: "https://evil.example/?q=<script>&x=\"y\""},
		LastOutreach: &alert.Outreach{Date: "2024-03-02", From: "mallory@taktile.com\r\nX-Injected: 1", Subject: "Re: \xff\xfe invalid \xc3"},
		AsOf:         AsOf,
	}
}

// Message renders a for the channel the way a run does.
func Message(channel string, a alert.Alert) alert.Message {
	return alert.NewMessage(channel, alert.DefaultFrom, alert.DefaultTo, a)
}

// Digest renders alerts as one digest for the channel.
func Digest(channel string, alerts ...alert.Alert) alert.Message {
	return alert.NewDigest(channel, alert.DefaultFrom, alert.DefaultTo, AsOf, alerts)
}

// sleeps records the waits of a Dispatcher without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

func dispatcher(s *sleeps) *alert.Dispatcher {
	return &alert.Dispatcher{
		Backoff: outbound.Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond, Attempts: 3},
		Timeout: 5 * time.Second,
		Sleep:   s.sleep,
	}
}

// Run runs the conformance suite against the channels newHarness builds.
func Run(t *testing.T, newHarness Factory) {
	t.Helper()
	supported := func(t *testing.T, h *Harness, modes ...Mode) {
		t.Helper()
		for _, m := range modes {
			if slices.Contains(h.Unsupported, m) {
				t.Skipf("the %s double cannot answer %s", h.Channel.Name(), m)
			}
		}
	}
	noSecret := func(t *testing.T, h *Harness, what string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		for _, s := range h.Secrets {
			if s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q shows the secret %q", what, err, s)
			}
		}
	}
	send := func(t *testing.T, h *Harness, m alert.Message) error {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return h.Channel.Send(ctx, m)
	}

	t.Run("delivers", func(t *testing.T) {
		h := newHarness(t)
		m := Message(h.Channel.Name(), Sample())
		if err := send(t, h, m); err != nil {
			t.Fatalf("Send = %v, want nil", err)
		}
		got := h.Deliveries()
		if len(got) != 1 {
			t.Fatalf("got %d deliveries, want 1", len(got))
		}
		h.Check(t, got[0], m)
	})

	t.Run("server error is retried", func(t *testing.T) {
		h := newHarness(t)
		supported(t, h, Transient)
		m := Message(h.Channel.Name(), Sample())
		h.Next(Transient)
		err := send(t, h, m)
		assertClass(t, err, true)
		noSecret(t, h, "server error", err)
		if n := len(h.Deliveries()); n != 0 {
			t.Fatalf("got %d deliveries after a server error, want 0", n)
		}
		h.Next(Transient)
		var s sleeps
		res := dispatcher(&s).Deliver(context.Background(), h.Channel, []alert.Message{m})
		if res[0].Status != alert.ResultSent || res[0].Attempts != 2 {
			t.Fatalf("Dispatcher after one server error: status %s, %d attempts, err %v; want sent after 2", res[0].Status, res[0].Attempts, res[0].Err)
		}
		if n := len(h.Deliveries()); n != 1 {
			t.Fatalf("got %d deliveries, want 1", n)
		}
	})

	t.Run("rate limit is retried after Retry-After", func(t *testing.T) {
		h := newHarness(t)
		supported(t, h, RateLimited)
		m := Message(h.Channel.Name(), Sample())
		h.Next(RateLimited)
		err := send(t, h, m)
		e := assertClass(t, err, true)
		if e != nil && e.RetryAfter != h.RetryAfter {
			t.Errorf("RetryAfter = %s, want %s", e.RetryAfter, h.RetryAfter)
		}
		h.Next(RateLimited)
		var s sleeps
		res := dispatcher(&s).Deliver(context.Background(), h.Channel, []alert.Message{m})
		if res[0].Status != alert.ResultSent || res[0].Attempts != 2 {
			t.Fatalf("Dispatcher after a rate limit: status %s, %d attempts, err %v; want sent after 2", res[0].Status, res[0].Attempts, res[0].Err)
		}
		if slept := s.all(); h.RetryAfter > 0 && (len(slept) != 1 || slept[0] != h.RetryAfter) {
			t.Errorf("Dispatcher slept %v, want exactly [%s] (Retry-After)", slept, h.RetryAfter)
		}
	})

	t.Run("rejection is not retried", func(t *testing.T) {
		h := newHarness(t)
		supported(t, h, Reject)
		m := Message(h.Channel.Name(), Sample())
		h.Next(Reject)
		err := send(t, h, m)
		assertClass(t, err, false)
		noSecret(t, h, "rejection", err)
		h.Next(Reject, Reject, Reject)
		var s sleeps
		res := dispatcher(&s).Deliver(context.Background(), h.Channel, []alert.Message{m})
		if res[0].Status != alert.ResultFailed || res[0].Attempts != 1 {
			t.Fatalf("Dispatcher on a rejection: status %s after %d attempts; want failed after 1", res[0].Status, res[0].Attempts)
		}
		if n := len(h.Deliveries()); n != 0 {
			t.Fatalf("got %d deliveries, want 0", n)
		}
	})

	t.Run("cancellation stops an attempt", func(t *testing.T) {
		h := newHarness(t)
		supported(t, h, Hang)
		h.Next(Hang)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		err := h.Channel.Send(ctx, Message(h.Channel.Name(), Sample()))
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("Send took %s after cancellation", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send after cancel = %v, want an error wrapping context.Canceled", err)
		}
		if outbound.Retryable(err) {
			t.Errorf("a cancelled attempt is retryable: %v", err)
		}
		noSecret(t, h, "cancellation", err)
	})

	t.Run("cancelled context sends nothing", func(t *testing.T) {
		h := newHarness(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := h.Channel.Send(ctx, Message(h.Channel.Name(), Sample()))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Send with a cancelled context = %v, want context.Canceled", err)
		}
		if n := len(h.Deliveries()); n != 0 {
			t.Errorf("got %d deliveries with a cancelled context, want 0", n)
		}
	})

	t.Run("attempt timeout is retried", func(t *testing.T) {
		h := newHarness(t)
		supported(t, h, Hang)
		h.Next(Hang)
		var s sleeps
		d := dispatcher(&s)
		d.Timeout = 300 * time.Millisecond
		res := d.Deliver(context.Background(), h.Channel, []alert.Message{Message(h.Channel.Name(), Sample())})
		if res[0].Status != alert.ResultSent || res[0].Attempts != 2 {
			t.Fatalf("Dispatcher after a timed-out attempt: status %s, %d attempts, err %v; want sent after 2", res[0].Status, res[0].Attempts, res[0].Err)
		}
	})

	t.Run("no secret in errors", func(t *testing.T) {
		h := newHarness(t)
		for _, mode := range []Mode{Transient, RateLimited, Reject} {
			if slices.Contains(h.Unsupported, mode) {
				continue
			}
			h.Next(mode)
			noSecret(t, h, mode.String(), send(t, h, Message(h.Channel.Name(), Sample())))
		}
		if h.Unreachable != nil {
			ch := h.Unreachable()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := ch.Send(ctx, Message(ch.Name(), Sample()))
			if err == nil {
				t.Fatal("Send to an address where nothing listens succeeded")
			}
			assertClass(t, err, true)
			noSecret(t, h, "unreachable", err)
		}
	})

	t.Run("hostile values stay inert", func(t *testing.T) {
		h := newHarness(t)
		m := Message(h.Channel.Name(), Hostile())
		if err := send(t, h, m); err != nil {
			t.Fatalf("Send(hostile) = %v, want nil", err)
		}
		got := h.Deliveries()
		if len(got) != 1 {
			t.Fatalf("got %d deliveries, want 1", len(got))
		}
		h.Check(t, got[0], m)
	})

	t.Run("digest", func(t *testing.T) {
		h := newHarness(t)
		alerts := []alert.Alert{Sample(), Hostile()}
		for i := range 60 {
			a := Sample()
			a.ContactEmail = strings.Replace(a.ContactEmail, "@", "+"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"@", 1)
			alerts = append(alerts, a)
		}
		m := Digest(h.Channel.Name(), alerts...)
		if err := send(t, h, m); err != nil {
			t.Fatalf("Send(digest) = %v, want nil", err)
		}
		got := h.Deliveries()
		if len(got) != 1 {
			t.Fatalf("got %d deliveries, want 1", len(got))
		}
		h.Check(t, got[0], m)
	})
}

// assertClass checks err is an *outbound.Error with the given retry class.
func assertClass(t *testing.T, err error, retry bool) *outbound.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("Send = nil, want an error")
	}
	var e *outbound.Error
	if !errors.As(err, &e) {
		t.Errorf("Send = %T %v, want an *outbound.Error", err, err)
		return nil
	}
	if e.Retry != retry {
		t.Errorf("Send = %v with Retry %v, want %v", err, e.Retry, retry)
	}
	return e
}

// Golden compares got with the file path, or rewrites the file when
// update is set (go test -update).
func Golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Unreachable returns a URL on 127.0.0.1 where nothing listens, ending in
// path.
func Unreachable(t testing.TB, path string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + path
}
