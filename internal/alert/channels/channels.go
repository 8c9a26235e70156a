// Package channels turns configuration into alert channels: the one place
// that knows every channel package, so the CLI and the pipeline build them
// the same way.
package channels

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/slack"
	"github.com/intentalert/intentalert/internal/alert/smtp"
	"github.com/intentalert/intentalert/internal/alert/stdout"
	"github.com/intentalert/intentalert/internal/alert/webhook"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Default is the channel used when none is named.
const Default = webhook.Name

// Names returns the channels intentalert knows.
func Names() []string { return []string{webhook.Name, slack.Name, smtp.Name, stdout.Name} }

// Environment variables read by FromEnv. The secrets among them may also
// come from a file named by the variable with _FILE appended (resolved by
// the CLI before).
const (
	EnvWebhookSecret = "INTENTALERT_WEBHOOK_SECRET"
	EnvSlackWebhook  = "SLACK_WEBHOOK_URL"
	EnvSlackToken    = "SLACK_BOT_TOKEN"
	EnvSlackAPI      = "SLACK_API_URL"
	EnvSMTPHost      = "SMTP_HOST"
	EnvSMTPPort      = "SMTP_PORT"
	EnvSMTPUsername  = "SMTP_USERNAME"
	EnvSMTPPassword  = "SMTP_PASSWORD"
)

// Config holds every channel's configuration; only the channels built
// need theirs.
type Config struct {
	Webhook webhook.Config
	Slack   slack.Config
	SMTP    smtp.Config
	Stdout  io.Writer
}

// FromEnv fills c with the provider settings and secrets found in the
// environment (getenv is os.Getenv in production). Flags set the rest:
// the webhook URL and the Slack channel.
func FromEnv(getenv func(string) string, c *Config) error {
	c.Webhook.Secret = getenv(EnvWebhookSecret)
	c.Slack.WebhookURL = getenv(EnvSlackWebhook)
	c.Slack.Token = getenv(EnvSlackToken)
	c.Slack.APIURL = getenv(EnvSlackAPI)
	c.SMTP.Host = getenv(EnvSMTPHost)
	c.SMTP.Username = getenv(EnvSMTPUsername)
	c.SMTP.Password = getenv(EnvSMTPPassword)
	if p := strings.TrimSpace(getenv(EnvSMTPPort)); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil {
			return exitcode.Usagef("%s=%q is not a port number", EnvSMTPPort, p)
		}
		c.SMTP.Port = port
	}
	return nil
}

// Secrets returns every secret of c, for scrubbing.
func (c Config) Secrets() []string {
	var out []string
	for _, s := range slices.Concat(outbound.URLSecrets(c.Webhook.URL), outbound.URLSecrets(c.Slack.WebhookURL),
		[]string{c.Webhook.Secret, c.Slack.Token, c.SMTP.Password}) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Parse splits channel names given as repeated flags or comma-separated
// lists, checks them, drops repeats and returns them in order; none gives
// Default.
func Parse(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			if !slices.Contains(Names(), name) {
				return nil, exitcode.Usagef("unknown channel %q: want %s", name, strings.Join(Names(), ", "))
			}
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	if len(out) == 0 {
		out = []string{Default}
	}
	return out, nil
}

// Build returns the channels named, in order. A channel whose
// configuration is missing or wrong is a usage error naming what to set.
func Build(names []string, c Config) ([]alert.Channel, error) {
	var out []alert.Channel
	for _, name := range names {
		var ch alert.Channel
		var err error
		switch name {
		case webhook.Name:
			ch, err = webhook.New(c.Webhook)
		case slack.Name:
			ch, err = slack.New(c.Slack)
		case smtp.Name:
			ch, err = smtp.New(c.SMTP)
		case stdout.Name:
			ch, err = stdout.New(stdout.Config{Out: c.Stdout})
		default:
			err = exitcode.Usagef("unknown channel %q: want %s", name, strings.Join(Names(), ", "))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// Rates returns each channel's default rate limit in messages per second:
// Slack's posting limit, a pace mail providers accept, and a courteous one
// for webhooks. stdout is not limited.
func Rates() map[string]rate.Limit {
	return map[string]rate.Limit{
		webhook.Name: webhook.DefaultRate,
		slack.Name:   slack.DefaultRate,
		smtp.Name:    smtp.DefaultRate,
	}
}

// SetTimeout gives the SMTP channel the per-attempt timeout, so that its
// own command deadlines match.
func (c *Config) SetTimeout(d time.Duration) {
	if c.SMTP.Timeout == 0 {
		c.SMTP.Timeout = d
	}
}
