package alerttest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/alert/alerttest"
)

func post(t *testing.T, url, contentType, body string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// TestFakeSlackWebhook checks the fake answers like Slack's incoming
// webhooks (providers.md §3.1, §6).
func TestFakeSlackWebhook(t *testing.T) {
	s := alerttest.NewSlack(t)
	long := strings.Repeat("x", 3001)
	blocks := func(n int, text string) string {
		var b []string
		for range n {
			b = append(b, `{"type":"section","text":{"type":"mrkdwn","text":"`+text+`"}}`)
		}
		return `{"text":"t","blocks":[` + strings.Join(b, ",") + `]}`
	}
	tests := []struct {
		name, ct, body string
		status         int
		answer         string
	}{
		{"ok", "application/json", `{"text":"hello"}`, 200, "ok"},
		{"not JSON", "application/json", `{"text":`, 400, "invalid_payload"},
		{"form encoded", "application/x-www-form-urlencoded", `payload=x`, 400, "invalid_payload"},
		{"no text", "application/json", `{"blocks":[]}`, 400, "no_text"},
		{"51 blocks", "application/json", blocks(51, "a"), 400, "invalid_blocks"},
		{"section over 3000", "application/json", blocks(1, long), 400, "invalid_blocks"},
		{"50 blocks", "application/json", blocks(50, "a"), 200, "ok"},
	}
	for _, tt := range tests {
		status, body, _ := post(t, s.WebhookURL(), tt.ct, tt.body)
		if status != tt.status || body != tt.answer {
			t.Errorf("%s: %d %q, want %d %q", tt.name, status, body, tt.status, tt.answer)
		}
	}
	if status, body, _ := post(t, s.Server.URL+"/services/T0001/B0001/wrong", "application/json", `{"text":"x"}`); status != 404 || body != "no_service" {
		t.Errorf("unknown hook: %d %q", status, body)
	}
	post(t, s.WebhookURL(), "application/json", `{"text":"<!channel> & <b>"}`)
	if v := s.Violations(); len(v) != 1 {
		t.Errorf("violations %q, want the unescaped text", v)
	}
	s.Next(alerttest.RateLimitedResponse(3))
	if status, _, h := post(t, s.WebhookURL(), "application/json", `{"text":"x"}`); status != 429 || h.Get("Retry-After") != "3" {
		t.Errorf("scripted 429: %d %v", status, h)
	}
}

// TestFakeSlackAPI checks the fake answers like chat.postMessage
// (providers.md §3.2, §6).
func TestFakeSlackAPI(t *testing.T) {
	s := alerttest.NewSlack(t)
	url := s.APIURL() + "chat.postMessage"
	tests := []struct {
		name, auth, body, want string
	}{
		{"ok", "Bearer " + s.Token, `{"channel":"C1","text":"x"}`, `"ok":true`},
		{"no token", "", `{"channel":"C1","text":"x"}`, `"error":"not_authed"`},
		{"wrong token", "Bearer xoxb-nope", `{"channel":"C1","text":"x"}`, `"error":"invalid_auth"`},
		{"no channel", "Bearer " + s.Token, `{"text":"x"}`, `"error":"channel_not_found"`},
		{"no text", "Bearer " + s.Token, `{"channel":"C1"}`, `"error":"no_text"`},
	}
	for _, tt := range tests {
		status, body, _ := post(t, url, "application/json; charset=utf-8", tt.body, "Authorization", tt.auth)
		if status != 200 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want 200 with %s", tt.name, status, body, tt.want)
		}
	}
	if n := len(s.Deliveries()); n != 1 {
		t.Errorf("%d deliveries, want only the ok one", n)
	}
}

func TestReceiverLikeWebhookSite(t *testing.T) {
	r := alerttest.NewReceiver(t)
	if status, _, h := post(t, r.URL(), "application/json", `{}`); status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("default answer %d %v, want 200 text/html", status, h)
	}
	if status, _, _ := post(t, r.URL()+"/418", "application/json", `{}`); status != 418 {
		t.Errorf("/418 answered %d", status)
	}
	if status, _, _ := post(t, r.Server.URL+"/other", "application/json", `{}`); status != 404 {
		t.Errorf("a wrong token answered %d", status)
	}
	if got := len(r.Deliveries()); got != 1 {
		t.Errorf("%d deliveries, want 1", got)
	}
}
