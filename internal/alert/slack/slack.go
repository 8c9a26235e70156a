// Package slack delivers alerts to Slack as Block Kit messages with a
// plain fallback text, through an incoming webhook or chat.postMessage with
// a bot token. Every CRM value is escaped (&, <, >) so that "<!channel>" or
// a disguised link in CRM data is shown as text, and messages stay within
// Block Kit's limits.
package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	blockkit "github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the channel's name.
const Name = "slack"

// DefaultRate is Slack's posting limit: about one message per second.
const DefaultRate rate.Limit = 1

// Block Kit limits, with a margin on text lengths.
const (
	MaxBlocks      = 50
	MaxSectionText = 3000
	sectionBudget  = 2900  // runes of one section we write
	messageBudget  = 11000 // runes of all blocks' text together (msg_blocks_too_long)
	fallbackBudget = 3000  // runes of the top-level text
)

// Notifier posts alerts to Slack.
type Notifier struct {
	endpoint string // the webhook URL or the chat.postMessage URL
	token    string
	channel  string
	client   *http.Client
	secrets  []string
}

// New returns a Notifier for a valid configuration.
func New(c Config) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	n := &Notifier{token: c.Token, channel: strings.TrimSpace(c.Channel), client: c.Client,
		secrets: append(outbound.URLSecrets(c.WebhookURL), c.Token)}
	if n.client == nil {
		n.client = &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if c.WebhookURL != "" {
		n.endpoint = c.WebhookURL
	} else {
		base := c.APIURL
		if base == "" {
			base = DefaultAPIURL
		}
		n.endpoint = strings.TrimSuffix(base, "/") + "/chat.postMessage"
	}
	return n, nil
}

// Name returns "slack".
func (n *Notifier) Name() string { return Name }

// request is the JSON body of both APIs; channel is empty for webhooks.
type request struct {
	Channel     string          `json:"channel,omitempty"`
	Text        string          `json:"text"`
	Blocks      blockkit.Blocks `json:"blocks"`
	UnfurlLinks bool            `json:"unfurl_links"`
	UnfurlMedia bool            `json:"unfurl_media"`
}

// response is chat.postMessage's answer.
type response struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Warning string `json:"warning"`
}

// Body returns the JSON body posted for m. channel is "" for webhooks.
func Body(m alert.Message, channel string) ([]byte, error) {
	text, blocks := Render(m)
	return json.Marshal(request{Channel: channel, Text: text, Blocks: blockkit.Blocks{BlockSet: blocks}})
}

// Send makes one post of m.
func (n *Notifier) Send(ctx context.Context, m alert.Message) error {
	body, err := Body(m, n.channel)
	if err != nil {
		return outbound.Permanent(fmt.Errorf("slack: encode message: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(body))
	if err != nil {
		return outbound.Permanent(fmt.Errorf("slack: build request: %w", outbound.ScrubError(outbound.RedactURL(err), n.secrets...)))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "intentalert")
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return fmt.Errorf("slack: post: %w", outbound.ScrubError(outbound.TransportError(ctx, err), n.secrets...))
	}
	defer outbound.Drain(resp)
	raw, _ := outbound.ReadBody(resp, 64<<10)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Webhooks answer errors with a status and a plain-text code
		// (invalid_payload, channel_not_found...); both APIs answer 429
		// with Retry-After.
		return fmt.Errorf("slack: %w", outbound.ScrubError(outbound.StatusError(resp, outbound.Excerpt(raw, 200)), n.secrets...))
	}
	if n.token == "" {
		return nil // a webhook's 200 is success; its body is "ok"
	}
	// The Web API answers 200 and says in the body whether it worked.
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		return &outbound.Error{Retry: true, Status: resp.StatusCode,
			Err: fmt.Errorf("slack: chat.postMessage: unreadable answer: %s", outbound.Scrub(outbound.Excerpt(raw, 100), n.secrets...))}
	}
	if r.OK {
		return nil
	}
	code := outbound.Scrub(outbound.Truncate(r.Error, 100), n.secrets...)
	if code == "" {
		code = "ok:false without an error code"
	}
	return &outbound.Error{Retry: retryableCode(r.Error), Status: resp.StatusCode,
		Err: fmt.Errorf("slack: chat.postMessage: %s", code)}
}

// retryableCode reports whether a Web API error code is Slack's trouble
// rather than the request's.
func retryableCode(code string) bool {
	switch code {
	case "ratelimited", "rate_limited", "internal_error", "fatal_error", "request_timeout",
		"service_unavailable", "team_added_to_org":
		return true
	}
	return false
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes text inert in Slack: &, < and > become entities, so that
// "<!channel>", "<@U123>" or "<https://evil|bank>" show as typed.
func Escape(s string) string { return escaper.Replace(s) }

// Render returns the fallback text and the blocks of m. Every value
// rendered is escaped; limits are kept by cutting, never by failing.
func Render(m alert.Message) (string, []blockkit.Block) {
	var sections []string
	if m.Digest || len(m.Alerts) != 1 {
		sections = digestSections(m)
	} else {
		sections = alertSections(m.Alerts[0])
	}
	fallback := cut(Escape(m.Subject), fallbackBudget)
	var blocks []blockkit.Block
	used := 0
	footer := fmt.Sprintf("intentalert · as of %s · ref %s", m.AsOf.Format("2006-01-02"), Escape(m.Key))
	for i, s := range sections {
		s = cut(s, sectionBudget)
		n := utf8.RuneCountInString(s)
		if len(blocks) == MaxBlocks-2 || used+n > messageBudget {
			more := fmt.Sprintf("_…%d more not shown: the message is too long for Slack._", len(sections)-i)
			blocks = append(blocks, section(more))
			break
		}
		blocks = append(blocks, section(s))
		used += n
	}
	blocks = append(blocks, blockkit.NewContextBlock("", blockkit.NewTextBlockObject(blockkit.MarkdownType, footer, false, false)))
	return fallback, blocks
}

func section(text string) blockkit.Block {
	return blockkit.NewSectionBlock(blockkit.NewTextBlockObject(blockkit.MarkdownType, text, false, false), nil, nil)
}

func alertSections(a alert.Alert) []string {
	out := []string{"*" + Escape(a.Subject()) + "*\n" + Escape(a.Lead())}
	for _, s := range a.Sections() {
		if s.Title == "As of" {
			continue // in the footer
		}
		out = append(out, fields(s))
	}
	return out
}

func fields(s alert.Section) string {
	var b strings.Builder
	b.WriteString("*" + Escape(s.Title) + "*")
	for _, f := range s.Fields {
		b.WriteString("\n" + Escape(f.Label) + ": " + Escape(f.Value))
	}
	return b.String()
}

func digestSections(m alert.Message) []string {
	out := []string{"*" + Escape(m.Subject) + "*\n" + Escape(alert.DigestLead(len(m.Alerts), m.AsOf))}
	for i, a := range m.Alerts {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d. %s at %s*", i+1, Escape(a.ContactLabel()), Escape(a.CompanyLabel()))
		for _, s := range a.Sections() {
			if s.Title == "As of" {
				continue
			}
			for _, f := range s.Fields {
				b.WriteString("\n" + Escape(f.Label) + ": " + Escape(f.Value))
			}
		}
		out = append(out, b.String())
	}
	return out
}

// cut shortens escaped text to at most n runes without splitting an
// entity, marking the cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	// Do not leave half an entity such as "&am".
	if i := lastIndexRune(r, '&'); i >= 0 && i > len(r)-5 && !containsRune(r[i:], ';') {
		r = r[:i]
	}
	return string(r) + "…"
}

func lastIndexRune(r []rune, c rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == c {
			return i
		}
	}
	return -1
}

func containsRune(r []rune, c rune) bool { return lastIndexRune(r, c) >= 0 }
