package alerttest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Slack is a fake of Slack's incoming webhooks and chat.postMessage,
// answering as docs/providers.md §3 describes: a webhook answers 200 "ok"
// or a status with a plain-text code; the Web API answers 200 with
// {"ok": false, "error": ...} or 429 with Retry-After. It checks every
// message against Block Kit's limits and records escaping violations.
type Slack struct {
	Server *httptest.Server
	// Token is the bot token chat.postMessage accepts.
	Token string
	// Hook is the secret last part of the webhook URL.
	Hook string
	// Limit, when set, answers 429 (Retry-After: 1) to a message that
	// comes sooner than Limit after the previous one, as Slack does for
	// more than about one message per second sustained.
	Limit time.Duration
	// Now is the fake's clock for Limit; nil: time.Now.
	Now func() time.Time

	mu         sync.Mutex
	next       []Response
	requests   []Request
	violations []string
	last       time.Time
}

// NewSlack starts a fake Slack, closed when the test ends.
func NewSlack(t testing.TB) *Slack {
	t.Helper()
	s := &Slack{Token: "xoxb-1111-2222-" + randomHex(10), Hook: "hook" + randomHex(10)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Server.Close)
	return s
}

// WebhookURL is the incoming webhook's URL.
func (s *Slack) WebhookURL() string { return s.Server.URL + "/services/T0001/B0001/" + s.Hook }

// APIURL is the base URL of the Web API.
func (s *Slack) APIURL() string { return s.Server.URL + "/api/" }

// Next scripts the answers to the next requests, before any check.
func (s *Slack) Next(responses ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = append(s.next, responses...)
}

// WebhookError scripts the next webhook answer: a status and a plain-text
// error code, as the 2016 changelog lists (400 invalid_payload, 403
// action_prohibited, 404 channel_not_found, 410 channel_is_archived, 500
// rollup_error...).
func WebhookError(status int, code string) Response {
	return Response{Status: status, Header: http.Header{"Content-Type": {"text/plain"}}, Body: code}
}

// APIError scripts the next Web API answer: 200 {"ok":false,"error":code}.
func APIError(code string) Response {
	return Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: fmt.Sprintf(`{"ok":false,"error":%q}`, code)}
}

// RateLimited scripts a 429 with Retry-After and the Web API's body.
func RateLimitedResponse(retryAfter int) Response {
	return Response{Status: http.StatusTooManyRequests,
		Header: http.Header{"Retry-After": {fmt.Sprint(retryAfter)}, "Content-Type": {"application/json"}},
		Body:   `{"ok":false,"error":"ratelimited"}`}
}

// Requests returns every request received.
func (s *Slack) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Deliveries returns the messages accepted.
func (s *Slack) Deliveries() []Delivery {
	var out []Delivery
	for _, r := range s.Requests() {
		if r.Accepted {
			out = append(out, Delivery{Header: r.Header, Body: r.Body})
		}
	}
	return out
}

// Violations returns the escaping violations seen in accepted messages:
// text with a raw < or >, or an & that starts no entity.
func (s *Slack) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Slack) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 10<<20))
	rec := Request{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body}
	api := strings.HasPrefix(req.URL.Path, "/api/")
	s.mu.Lock()
	var resp Response
	scripted := len(s.next) > 0
	if scripted {
		resp, s.next = s.next[0], s.next[1:]
	}
	s.mu.Unlock()
	if !scripted {
		resp = s.answer(req, body, api)
	}
	rec.Status, _ = write(w, req, resp)
	// A Web API message went through only when the body says ok.
	rec.Accepted = rec.Status == http.StatusOK && (!api || strings.Contains(resp.Body, `"ok":true`))
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
}

func (s *Slack) answer(req *http.Request, body []byte, api bool) Response {
	if req.Method != http.MethodPost {
		return WebhookError(http.StatusMethodNotAllowed, "invalid_method")
	}
	switch {
	case api && req.URL.Path != "/api/chat.postMessage":
		return APIError("unknown_method")
	case api && req.Header.Get("Authorization") == "":
		return APIError("not_authed")
	case api && req.Header.Get("Authorization") != "Bearer "+s.Token:
		return APIError("invalid_auth")
	case !api && req.URL.Path != "/services/T0001/B0001/"+s.Hook:
		return WebhookError(http.StatusNotFound, "no_service")
	}
	fail := func(status int, code string) Response {
		if api {
			return APIError(code)
		}
		return WebhookError(status, code)
	}
	var msg map[string]any
	if !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &msg) != nil {
		return fail(http.StatusBadRequest, "invalid_payload")
	}
	if api {
		if ch, _ := msg["channel"].(string); ch == "" {
			return APIError("channel_not_found")
		}
	}
	text, _ := msg["text"].(string)
	blocks, _ := msg["blocks"].([]any)
	if text == "" && len(blocks) == 0 {
		return fail(http.StatusBadRequest, "no_text")
	}
	if len(blocks) > 50 {
		return fail(http.StatusBadRequest, "invalid_blocks")
	}
	for _, b := range blocks {
		if t := sectionText(b); utf8.RuneCountInString(t) > 3000 {
			return fail(http.StatusBadRequest, "invalid_blocks")
		}
	}
	if s.Limit > 0 {
		now := time.Now()
		if s.Now != nil {
			now = s.Now()
		}
		s.mu.Lock()
		tooSoon := !s.last.IsZero() && now.Sub(s.last) < s.Limit
		if !tooSoon {
			s.last = now
		}
		s.mu.Unlock()
		if tooSoon {
			r := RateLimitedResponse(1)
			if !api {
				r.Body = "rate_limited"
			}
			return r
		}
	}
	s.check(msg)
	if api {
		return Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
			Body: `{"ok":true,"channel":"C0123456789","ts":"1714435200.000100","message":{"type":"message"}}`}
	}
	return Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/plain"}}, Body: "ok"}
}

func sectionText(b any) string {
	m, _ := b.(map[string]any)
	if m["type"] != "section" {
		return ""
	}
	t, _ := m["text"].(map[string]any)
	s, _ := t["text"].(string)
	return s
}

var entity = regexp.MustCompile(`&(amp|lt|gt);`)

// check records every text in msg that Slack would parse as markup.
func (s *Slack) check(msg map[string]any) {
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if str, ok := x.(string); ok && k == "text" {
					texts = append(texts, str)
					continue
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(msg)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range texts {
		bare := entity.ReplaceAllString(t, "")
		if strings.ContainsAny(bare, "<>&") {
			s.violations = append(s.violations, t)
		}
	}
}
