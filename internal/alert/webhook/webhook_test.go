package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/webhook"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var _ alert.Channel = (*webhook.Notifier)(nil)

const secret = "whsec-test-0123456789abcdef"

var fixedNow = time.Date(2024, 4, 30, 7, 0, 0, 0, time.UTC)

func newNotifier(t *testing.T, url string) *webhook.Notifier {
	t.Helper()
	n, err := webhook.New(webhook.Config{URL: url, Secret: secret, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConformance(t *testing.T) {
	alerttest.Run(t, func(t *testing.T) *alerttest.Harness {
		r := alerttest.NewReceiver(t)
		return &alerttest.Harness{
			Channel:    newNotifier(t, r.URL()),
			Next:       r.NextModes,
			Deliveries: r.Deliveries,
			Secrets:    []string{r.URL(), r.Token, secret},
			RetryAfter: 7 * time.Second,
			Check:      check,
			Unreachable: func() alert.Channel {
				return newNotifier(t, alerttest.Unreachable(t, "/hook/"+r.Token))
			},
		}
	})
}

// check asserts what a receiver gets: a JSON POST whose body is exactly the
// four keys with the message's values, an Idempotency-Key and a valid
// signature.
func check(t *testing.T, d alerttest.Delivery, m alert.Message) {
	t.Helper()
	h := http.Header(d.Header)
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := h.Get(webhook.HeaderIdempotencyKey); got != m.Key || got == "" {
		t.Errorf("Idempotency-Key = %q, want %q", got, m.Key)
	}
	if err := webhook.Verify(secret, h, d.Body, fixedNow, 5*time.Minute); err != nil {
		t.Errorf("signature: %v", err)
	}
	if !utf8.Valid(d.Body) {
		t.Errorf("body is not valid UTF-8")
	}
	var got map[string]any
	if err := json.Unmarshal(d.Body, &got); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, d.Body)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"from", "message", "subject", "to"}; !slices.Equal(keys, want) {
		t.Errorf("body keys = %v, want exactly %v", keys, want)
	}
	p := m.Payload()
	for k, want := range map[string]string{"from": p.From, "to": p.To, "subject": p.Subject, "message": p.Message} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if s, _ := got["subject"].(string); strings.ContainsAny(s, "\r\n") {
		t.Errorf("subject has a line break: %q", s)
	}
}

func TestGoldenPayloads(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    alert.Message
	}{
		{"sample", alerttest.Message(webhook.Name, alerttest.Sample())},
		{"hostile", alerttest.Message(webhook.Name, alerttest.Hostile())},
		{"digest", alerttest.Digest(webhook.Name, alerttest.Sample(), alerttest.Hostile())},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, err := webhook.Body(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			alerttest.Golden(t, "testdata/"+tt.name+".golden.json", body, *update)
		})
	}
}

func TestReceiverGetsExactPayload(t *testing.T) {
	r := alerttest.NewReceiver(t)
	m := alerttest.Message(webhook.Name, alerttest.Sample())
	if err := newNotifier(t, r.URL()).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	reqs := r.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != "/hook/"+r.Token {
		t.Fatalf("requests = %+v, want one POST to the hook", reqs)
	}
	var got map[string]string
	if err := json.Unmarshal(reqs[0].Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"from":    "intent-alerts@taktile.com",
		"to":      "biz-dev@taktile.com",
		"subject": "HIGH buying intent: Wendy White at cummings.net",
		"message": m.Text,
	}
	if len(got) != len(want) {
		t.Errorf("got keys %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, fact := range []string{"Wendy White", "white.white@cummings.net", "+1-555-0100", "cummings.net", "12 Harbour Road",
		"2024-04-29 by someone@cummings.net", `"Cummings raises a Series B"`, "2024-03-02 by john.doe@taktile.com", "2024-04-30"} {
		if !strings.Contains(got["message"], fact) {
			t.Errorf("message lacks %q:\n%s", fact, got["message"])
		}
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"from":"a","to":"b","subject":"c","message":"d"}`)
	ts := "1714460400" // 2024-04-30T07:00:00Z
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, ts)
	h.Set(webhook.HeaderSignature, webhook.Sign(secret, ts, body))
	tests := []struct {
		name   string
		secret string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"valid", secret, body, fixedNow, true},
		{"valid, 4 minutes later", secret, body, fixedNow.Add(4 * time.Minute), true},
		{"tampered body", secret, []byte(strings.Replace(string(body), `"d"`, `"e"`, 1)), fixedNow, false},
		{"wrong secret", "other-secret", body, fixedNow, false},
		{"replayed 10 minutes later", secret, body, fixedNow.Add(10 * time.Minute), false},
		{"from the future", secret, body, fixedNow.Add(-10 * time.Minute), false},
	}
	for _, tt := range tests {
		err := webhook.Verify(tt.secret, h, tt.body, tt.now, 5*time.Minute)
		if (err == nil) != tt.ok {
			t.Errorf("%s: Verify = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, webhook.ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", tt.name, err)
		}
	}
}

func TestKnownSignature(t *testing.T) {
	// Computed independently, as docs/alerts.md tells receivers to:
	// python3 -c "import hmac,hashlib; print(hmac.new(b'whsec-test-0123456789abcdef',
	//   b'1714460400.{}', hashlib.sha256).hexdigest())"
	const want = "v1=c7ea838893410f024000ce5366d0e1e3241af369eb6cde42d31d3a37b141c2db"
	if got := webhook.Sign(secret, "1714460400", []byte("{}")); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestUnsignedWithoutSecret(t *testing.T) {
	r := alerttest.NewReceiver(t)
	n, err := webhook.New(webhook.Config{URL: r.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(context.Background(), alerttest.Message(webhook.Name, alerttest.Sample())); err != nil {
		t.Fatal(err)
	}
	h := r.Requests()[0].Header
	if h.Get(webhook.HeaderSignature) != "" || h.Get(webhook.HeaderTimestamp) != "" {
		t.Errorf("unsigned request has signature headers: %v", h)
	}
	if h.Get(webhook.HeaderIdempotencyKey) == "" {
		t.Errorf("no Idempotency-Key")
	}
}

func TestStatusClasses(t *testing.T) {
	tests := []struct {
		resp  alerttest.Response
		retry bool
	}{
		{alerttest.Response{Status: 400}, false},
		{alerttest.Response{Status: 401}, false},
		{alerttest.Response{Status: 404, Body: "<html><title>Not Found</title></html>"}, false},
		{alerttest.Response{Status: 302, Header: http.Header{"Location": {"https://elsewhere.example/"}}}, false},
		{alerttest.Response{Status: 408}, true},
		{alerttest.Response{Status: 429}, true},
		{alerttest.Response{Status: 500}, true},
		{alerttest.Response{Status: 503}, true},
		{alerttest.Response{Close: true}, true},
	}
	for _, tt := range tests {
		r := alerttest.NewReceiver(t)
		r.Next(tt.resp)
		err := newNotifier(t, r.URL()).Send(context.Background(), alerttest.Message(webhook.Name, alerttest.Sample()))
		if err == nil {
			t.Errorf("answer %+v: Send = nil, want an error", tt.resp)
			continue
		}
		if got := outbound.Retryable(err); got != tt.retry {
			t.Errorf("answer %d: Retryable(%v) = %v, want %v", tt.resp.Status, err, got, tt.retry)
		}
		if strings.Contains(err.Error(), r.Token) {
			t.Errorf("error shows the URL token: %v", err)
		}
		if len(r.Requests()) > 1 {
			t.Errorf("answer %d: %d requests, want 1 (no redirect followed)", tt.resp.Status, len(r.Requests()))
		}
	}
}

func TestWebhookSiteStatusPath(t *testing.T) {
	r := alerttest.NewReceiver(t)
	err := newNotifier(t, r.URL()+"/503").Send(context.Background(), alerttest.Message(webhook.Name, alerttest.Sample()))
	var oe *outbound.Error
	if !errors.As(err, &oe) || oe.Status != 503 || !oe.Retry {
		t.Errorf("Send to /503 = %v, want a retryable HTTP 503", err)
	}
}

func TestConfigValidate(t *testing.T) {
	const token = "s3cr3t-t0ken"
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://webhook.site/" + token, true},
		{"http://127.0.0.1:8080/" + token, true},
		{"http://localhost/" + token, true},
		{"http://[::1]:9/" + token, true},
		{"", false},
		{"   ", false},
		{"webhook.site/" + token, false},
		{"http://webhook.site/" + token, false},
		{"ftp://webhook.site/" + token, false},
		{"https://user:" + token + "@[bad", false},
	}
	for _, tt := range tests {
		err := webhook.Config{URL: tt.url}.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("Validate(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
		if err != nil {
			if exitcode.Of(err) != exitcode.Usage {
				t.Errorf("Validate(%q) exit code %d, want %d", tt.url, exitcode.Of(err), exitcode.Usage)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("Validate(%q) = %q shows the secret", tt.url, err)
			}
		}
	}
}
