package channels_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/alert/channels"
	"github.com/intentalert/intentalert/internal/exitcode"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
		ok   bool
	}{
		{nil, []string{"webhook"}, true},
		{[]string{"slack"}, []string{"slack"}, true},
		{[]string{"slack,webhook", " SMTP ", "slack"}, []string{"slack", "webhook", "smtp"}, true},
		{[]string{"stdout,"}, []string{"stdout"}, true},
		{[]string{"pager"}, nil, false},
	}
	for _, tt := range tests {
		got, err := channels.Parse(tt.in)
		if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if err != nil && exitcode.Of(err) != exitcode.Usage {
			t.Errorf("Parse(%q): exit %d, want %d", tt.in, exitcode.Of(err), exitcode.Usage)
		}
	}
}

func TestFromEnvAndBuild(t *testing.T) {
	env := map[string]string{
		"INTENTALERT_WEBHOOK_SECRET": "whsec-123456",
		"SLACK_BOT_TOKEN":            "xoxb-123-secret",
		"SMTP_HOST":                  "smtp.gmail.com",
		"SMTP_PORT":                  "465",
		"SMTP_USERNAME":              "me@gmail.com",
		"SMTP_PASSWORD":              "app pass word 1234",
	}
	c := channels.Config{Stdout: &bytes.Buffer{}}
	if err := channels.FromEnv(func(k string) string { return env[k] }, &c); err != nil {
		t.Fatal(err)
	}
	c.Webhook.URL = "https://webhook.site/0d3e2c1a-4b5c"
	c.Slack.Channel = "#biz-dev"
	chs, err := channels.Build([]string{"webhook", "slack", "smtp", "stdout"}, c)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ch := range chs {
		names = append(names, ch.Name())
	}
	if !slices.Equal(names, []string{"webhook", "slack", "smtp", "stdout"}) {
		t.Errorf("built %v", names)
	}
	secrets := c.Secrets()
	for _, s := range []string{"whsec-123456", "xoxb-123-secret", "app pass word 1234", "https://webhook.site/0d3e2c1a-4b5c", "0d3e2c1a-4b5c"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("Secrets lacks %q", s)
		}
	}
	if r := channels.Rates(); r["slack"] != 1 || r["stdout"] != 0 {
		t.Errorf("rates %v", r)
	}
	if err := channels.FromEnv(func(k string) string { return map[string]string{"SMTP_PORT": "smtp"}[k] }, &c); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("SMTP_PORT=smtp: %v", err)
	}
}

func TestBuildNamesWhatIsMissing(t *testing.T) {
	tests := map[string]string{
		"webhook": "INTENTALERT_WEBHOOK_URL",
		"slack":   "SLACK_WEBHOOK_URL",
		"smtp":    "SMTP_HOST",
		"stdout":  "writer",
	}
	for name, want := range tests {
		_, err := channels.Build([]string{name}, channels.Config{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Build(%s) without settings = %v, want it to name %s", name, err, want)
		}
	}
}
