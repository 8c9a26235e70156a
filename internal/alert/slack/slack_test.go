package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/slack"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var _ alert.Channel = (*slack.Notifier)(nil)

func webhookNotifier(t *testing.T, s *alerttest.Slack) *slack.Notifier {
	t.Helper()
	n, err := slack.New(slack.Config{WebhookURL: s.WebhookURL()})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func apiNotifier(t *testing.T, s *alerttest.Slack, token string) *slack.Notifier {
	t.Helper()
	n, err := slack.New(slack.Config{Token: token, Channel: "#biz-dev", APIURL: s.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConformanceWebhook(t *testing.T) {
	alerttest.Run(t, func(t *testing.T) *alerttest.Harness {
		s := alerttest.NewSlack(t)
		return &alerttest.Harness{
			Channel: webhookNotifier(t, s),
			Next: func(modes ...alerttest.Mode) {
				for _, m := range modes {
					s.Next(alerttest.HTTPResponse(m, map[alerttest.Mode]string{
						alerttest.Transient: "rollup_error", alerttest.RateLimited: "rate_limited", alerttest.Reject: "invalid_payload",
					}[m]))
				}
			},
			Deliveries: s.Deliveries,
			Secrets:    []string{s.WebhookURL(), s.Hook},
			RetryAfter: 7 * time.Second,
			Check:      checker(s),
			Unreachable: func() alert.Channel {
				return mustNew(t, slack.Config{WebhookURL: alerttest.Unreachable(t, "/services/T0001/B0001/"+s.Hook)})
			},
		}
	})
}

func TestConformanceAPI(t *testing.T) {
	alerttest.Run(t, func(t *testing.T) *alerttest.Harness {
		s := alerttest.NewSlack(t)
		return &alerttest.Harness{
			Channel: apiNotifier(t, s, s.Token),
			Next: func(modes ...alerttest.Mode) {
				for _, m := range modes {
					switch m {
					case alerttest.RateLimited:
						s.Next(alerttest.RateLimitedResponse(7))
					case alerttest.Reject:
						s.Next(alerttest.APIError("channel_not_found"))
					default:
						s.Next(alerttest.HTTPResponse(m, "internal error"))
					}
				}
			},
			Deliveries: s.Deliveries,
			Secrets:    []string{s.Token},
			RetryAfter: 7 * time.Second,
			Check:      checker(s),
			Unreachable: func() alert.Channel {
				return mustNew(t, slack.Config{Token: s.Token, Channel: "C1", APIURL: alerttest.Unreachable(t, "/api/")})
			},
		}
	})
}

func mustNew(t *testing.T, c slack.Config) *slack.Notifier {
	t.Helper()
	n, err := slack.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checker asserts a delivered Slack message is within Block Kit's limits,
// escapes every CRM value, and carries the facts.
func checker(s *alerttest.Slack) func(t *testing.T, d alerttest.Delivery, m alert.Message) {
	return func(t *testing.T, d alerttest.Delivery, m alert.Message) {
		t.Helper()
		if v := s.Violations(); len(v) > 0 {
			t.Errorf("Slack would parse markup in %d texts, first: %q", len(v), v[0])
		}
		var msg struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type string `json:"type"`
				Text *struct {
					Type string `json:"type"`
					Text string `json:"text"`
				} `json:"text"`
			} `json:"blocks"`
			UnfurlLinks bool `json:"unfurl_links"`
		}
		if err := json.Unmarshal(d.Body, &msg); err != nil {
			t.Fatalf("body: %v", err)
		}
		if msg.Text == "" {
			t.Errorf("no fallback text")
		}
		if len(msg.Blocks) == 0 || len(msg.Blocks) > slack.MaxBlocks {
			t.Errorf("%d blocks, want 1 to %d", len(msg.Blocks), slack.MaxBlocks)
		}
		if msg.UnfurlLinks {
			t.Errorf("links from CRM data would unfurl")
		}
		var all strings.Builder
		for _, b := range msg.Blocks {
			if b.Type == "section" && b.Text != nil {
				if n := utf8.RuneCountInString(b.Text.Text); n > slack.MaxSectionText {
					t.Errorf("section of %d characters, limit %d", n, slack.MaxSectionText)
				}
				all.WriteString(b.Text.Text + "\n")
			}
		}
		text := all.String()
		for _, a := range m.Alerts[:min(len(m.Alerts), 3)] {
			if !strings.Contains(text, slack.Escape(a.ContactLabel())) {
				t.Errorf("blocks lack the contact %q", a.ContactLabel())
			}
		}
		if strings.Contains(m.Text, "<!channel>") && !strings.Contains(text, "&lt;!channel&gt;") {
			t.Errorf("hostile <!channel> not shown escaped")
		}
	}
}

func TestGoldenBodies(t *testing.T) {
	for _, tt := range []struct {
		name    string
		m       alert.Message
		channel string
	}{
		{"sample_webhook", alerttest.Message(slack.Name, alerttest.Sample()), ""},
		{"sample_api", alerttest.Message(slack.Name, alerttest.Sample()), "C0123456789"},
		{"hostile", alerttest.Message(slack.Name, alerttest.Hostile()), ""},
		{"digest", alerttest.Digest(slack.Name, alerttest.Sample(), alerttest.Hostile()), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body, err := slack.Body(tt.m, tt.channel)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			enc := json.NewEncoder(&pretty)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			enc.Encode(v)
			alerttest.Golden(t, "testdata/"+tt.name+".golden.json", pretty.Bytes(), *update)
		})
	}
}

func TestEscape(t *testing.T) {
	tests := map[string]string{
		"<!channel>":                  "&lt;!channel&gt;",
		"a & b":                       "a &amp; b",
		"&lt;":                        "&amp;lt;",
		"<https://evil|bank>":         "&lt;https://evil|bank&gt;",
		"*bold* _it_ `code` plain ok": "*bold* _it_ `code` plain ok",
	}
	for in, want := range tests {
		if got := slack.Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimitsOnHugeDigest(t *testing.T) {
	var alerts []alert.Alert
	for range 200 {
		alerts = append(alerts, alerttest.Hostile())
	}
	text, blocks := slack.Render(alerttest.Digest(slack.Name, alerts...))
	if len(blocks) > slack.MaxBlocks {
		t.Errorf("%d blocks, limit %d", len(blocks), slack.MaxBlocks)
	}
	if utf8.RuneCountInString(text) > 4000 {
		t.Errorf("fallback text of %d characters", utf8.RuneCountInString(text))
	}
	s := alerttest.NewSlack(t)
	if err := webhookNotifier(t, s).Send(context.Background(), alerttest.Digest(slack.Name, alerts...)); err != nil {
		t.Fatalf("Send(200-contact digest) = %v", err)
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("escaping violation: %q", v[0])
	}
}

// TestWebhookErrors replays the incoming-webhook answers of providers.md
// §3.1: status plus plain-text code.
func TestWebhookErrors(t *testing.T) {
	tests := []struct {
		status int
		code   string
		retry  bool
	}{
		{400, "invalid_payload", false},
		{400, "no_text", false},
		{403, "action_prohibited", false},
		{403, "invalid_token", false},
		{404, "channel_not_found", false},
		{404, "no_service", false},
		{410, "channel_is_archived", false},
		{500, "rollup_error", true},
	}
	for _, tt := range tests {
		s := alerttest.NewSlack(t)
		s.Next(alerttest.WebhookError(tt.status, tt.code))
		err := webhookNotifier(t, s).Send(context.Background(), alerttest.Message(slack.Name, alerttest.Sample()))
		var oe *outbound.Error
		if !errors.As(err, &oe) || oe.Retry != tt.retry || oe.Status != tt.status {
			t.Errorf("%d %s: Send = %v, want HTTP %d with retry=%v", tt.status, tt.code, err, tt.status, tt.retry)
			continue
		}
		if !strings.Contains(err.Error(), tt.code) || strings.Contains(err.Error(), s.Hook) {
			t.Errorf("%d %s: error %q should name the code and not the URL", tt.status, tt.code, err)
		}
	}
}

func TestWebhookRateLimit(t *testing.T) {
	s := alerttest.NewSlack(t)
	now := time.Date(2024, 4, 30, 9, 0, 0, 0, time.UTC)
	s.Limit, s.Now = time.Second, func() time.Time { return now }
	n := webhookNotifier(t, s)
	m := alerttest.Message(slack.Name, alerttest.Sample())
	if err := n.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	err := n.Send(context.Background(), m)
	var oe *outbound.Error
	if !errors.As(err, &oe) || oe.Status != 429 || !oe.Retry || oe.RetryAfter != time.Second {
		t.Fatalf("second message in the same second: %v, want 429 with Retry-After 1s", err)
	}
}

// TestAPIAnswers replays chat.postMessage's answers of providers.md §3.2.
func TestAPIAnswers(t *testing.T) {
	tests := []struct {
		name  string
		resp  *alerttest.Response
		token string // "" : the right one
		ok    bool
		retry bool
		code  string
	}{
		{name: "ok", ok: true},
		{name: "ok with a warning", resp: &alerttest.Response{Status: 200, Body: `{"ok":true,"channel":"C1","ts":"1.2","warning":"message_truncated","response_metadata":{"warnings":["message_truncated"]}}`}, ok: true},
		{name: "missing token", token: "xoxb-wrong", code: "invalid_auth"},
		{name: "channel_not_found", resp: ptr(alerttest.APIError("channel_not_found")), code: "channel_not_found"},
		{name: "not_in_channel", resp: ptr(alerttest.APIError("not_in_channel")), code: "not_in_channel"},
		{name: "is_archived", resp: ptr(alerttest.APIError("is_archived")), code: "is_archived"},
		{name: "msg_too_long", resp: ptr(alerttest.APIError("msg_too_long")), code: "msg_too_long"},
		{name: "invalid_blocks", resp: ptr(alerttest.APIError("invalid_blocks")), code: "invalid_blocks"},
		{name: "missing_scope", resp: ptr(alerttest.APIError("missing_scope")), code: "missing_scope"},
		{name: "not_authed", resp: ptr(alerttest.APIError("not_authed")), code: "not_authed"},
		{name: "internal_error", resp: ptr(alerttest.APIError("internal_error")), retry: true, code: "internal_error"},
		{name: "ratelimited 429", resp: ptr(alerttest.RateLimitedResponse(3)), retry: true, code: "429"},
		{name: "unreadable 200", resp: &alerttest.Response{Status: 200, Body: "<html>proxy</html>"}, retry: true, code: "unreadable"},
		{name: "empty 200", resp: &alerttest.Response{Status: 200}, retry: true, code: "unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := alerttest.NewSlack(t)
			if tt.resp != nil {
				s.Next(*tt.resp)
			}
			token := s.Token
			if tt.token != "" {
				token = tt.token
			}
			err := apiNotifier(t, s, token).Send(context.Background(), alerttest.Message(slack.Name, alerttest.Sample()))
			if tt.ok {
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
				return
			}
			if err == nil || outbound.Retryable(err) != tt.retry || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("Send = %v, want an error naming %q with retry=%v", err, tt.code, tt.retry)
			}
			if strings.Contains(err.Error(), s.Token) || strings.Contains(err.Error(), token) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestAPIRequest(t *testing.T) {
	s := alerttest.NewSlack(t)
	if err := apiNotifier(t, s, s.Token).Send(context.Background(), alerttest.Message(slack.Name, alerttest.Sample())); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if r.Path != "/api/chat.postMessage" || r.Header.Get("Authorization") != "Bearer "+s.Token {
		t.Errorf("request %s with Authorization %q", r.Path, r.Header.Get("Authorization"))
	}
	var body map[string]any
	json.Unmarshal(r.Body, &body)
	if body["channel"] != "#biz-dev" {
		t.Errorf("channel = %v, want #biz-dev", body["channel"])
	}
	if _, ok := body["link_names"]; ok {
		t.Errorf("link_names set: CRM words would become mentions")
	}
}

func ptr[T any](v T) *T { return &v }

func TestConfigValidate(t *testing.T) {
	const token = "xoxb-123-456-secretsecret"
	const hook = "https://hooks.slack.com/services/T1/B1/secretsecret"
	tests := []struct {
		name string
		c    slack.Config
		ok   bool
	}{
		{"webhook", slack.Config{WebhookURL: hook}, true},
		{"token and channel", slack.Config{Token: token, Channel: "C1"}, true},
		{"nothing", slack.Config{}, false},
		{"both", slack.Config{WebhookURL: hook, Token: token, Channel: "C1"}, false},
		{"token without channel", slack.Config{Token: token}, false},
		{"token with a newline", slack.Config{Token: token + "\nX: y", Channel: "C1"}, false},
		{"http webhook", slack.Config{WebhookURL: strings.Replace(hook, "https", "http", 1)}, false},
		{"relative webhook", slack.Config{WebhookURL: "hooks.slack.com/services/secretsecret"}, false},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && (exitcode.Of(err) != exitcode.Usage || strings.Contains(err.Error(), "secretsecret")) {
			t.Errorf("%s: Validate = %q (exit %d): want a usage error without the secret", tt.name, err, exitcode.Of(err))
		}
	}
}

func TestSendHonoursWebhookHeaders(t *testing.T) {
	s := alerttest.NewSlack(t)
	if err := webhookNotifier(t, s).Send(context.Background(), alerttest.Message(slack.Name, alerttest.Sample())); err != nil {
		t.Fatal(err)
	}
	r := s.Requests()[0]
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if r.Header.Get("Authorization") != "" {
		t.Errorf("a webhook post carries Authorization")
	}
	if http.Header(r.Header).Get("User-Agent") != "intentalert" {
		t.Errorf("User-Agent = %q", r.Header.Get("User-Agent"))
	}
}
