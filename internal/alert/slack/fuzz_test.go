package slack_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/slack"
)

var entity = regexp.MustCompile(`&(amp|lt|gt);`)

// FuzzRender checks the Slack rendering for any CRM content, for one alert
// and for digests of up to 80: valid JSON within Block Kit's limits (at
// most 50 blocks, sections under 3,000 characters, the fallback text under
// 3,000), and no text Slack would act on: no raw "<", ">", and "&" only in
// the three entities, so "<!channel>", "<@U…>" and "<url|label>" stay text.
func FuzzRender(f *testing.F) {
	alerttest.AddFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, email, company, text, url string, flags uint8) {
		a := alerttest.FuzzAlert(name, email, company, text, url, flags)
		m := alerttest.Message(slack.Name, a)
		if n := int(flags >> 5); n > 0 {
			alerts := make([]alert.Alert, 0, n*10)
			for range n * 10 {
				alerts = append(alerts, a)
			}
			m = alerttest.Digest(slack.Name, alerts...)
		}
		body, err := slack.Body(m, "C0123456789")
		if err != nil {
			t.Fatalf("Body: %v", err)
		}
		var msg struct {
			Text   string `json:"text"`
			Blocks []struct {
				Type string `json:"type"`
				Text *struct {
					Text string `json:"text"`
				} `json:"text"`
				Elements []struct {
					Text string `json:"text"`
				} `json:"elements"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			t.Fatalf("body is not JSON: %v", err)
		}
		if len(msg.Blocks) == 0 || len(msg.Blocks) > slack.MaxBlocks {
			t.Fatalf("%d blocks, want 1 to %d", len(msg.Blocks), slack.MaxBlocks)
		}
		texts := []string{msg.Text}
		if utf8.RuneCountInString(msg.Text) > 3000 {
			t.Fatalf("fallback text of %d characters", utf8.RuneCountInString(msg.Text))
		}
		for _, b := range msg.Blocks {
			if b.Text != nil {
				if n := utf8.RuneCountInString(b.Text.Text); n > slack.MaxSectionText {
					t.Fatalf("section of %d characters, over %d", n, slack.MaxSectionText)
				}
				texts = append(texts, b.Text.Text)
			}
			for _, e := range b.Elements {
				texts = append(texts, e.Text)
			}
		}
		for _, s := range texts {
			if !utf8.ValidString(s) {
				t.Fatalf("text is not valid UTF-8: %q", s)
			}
			for _, c := range entity.ReplaceAllString(s, "") {
				if c == '<' || c == '>' || c == '&' {
					t.Fatalf("text has a raw %q Slack would parse: %q", c, s)
				}
			}
		}
	})
}
