package slack

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

// DefaultAPIURL is the base of Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// Config configures the Slack channel: an incoming webhook, or a bot token
// and a channel.
type Config struct {
	// WebhookURL is an incoming webhook (SLACK_WEBHOOK_URL). A secret.
	WebhookURL string
	// Token is a bot token with chat:write (SLACK_BOT_TOKEN). A secret.
	Token string
	// Channel is the channel the bot posts to (--slack-channel): an id such
	// as C0123456789 or a name such as #biz-dev.
	Channel string
	// APIURL is the base of the Web API; "": DefaultAPIURL.
	APIURL string
	// Client sends the requests; nil: a client of its own that never
	// follows redirects.
	Client *http.Client
}

// Validate reports a usage error for a configuration that cannot post,
// without showing the URL or the token.
func (c Config) Validate() error {
	switch {
	case c.WebhookURL == "" && c.Token == "":
		return exitcode.Usagef("slack: set SLACK_WEBHOOK_URL (incoming webhook) or SLACK_BOT_TOKEN with --slack-channel")
	case c.WebhookURL != "" && c.Token != "":
		return exitcode.Usagef("slack: set SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN, not both")
	case c.Token != "" && strings.TrimSpace(c.Channel) == "":
		return exitcode.Usagef("slack: SLACK_BOT_TOKEN needs --slack-channel")
	case c.Token != "" && strings.ContainsAny(c.Token, " \t\r\n"):
		return exitcode.Usagef("slack: SLACK_BOT_TOKEN contains white space")
	}
	if c.WebhookURL != "" {
		return checkURL("SLACK_WEBHOOK_URL", c.WebhookURL)
	}
	if c.APIURL != "" {
		return checkURL("the Slack API URL", c.APIURL)
	}
	return nil
}

func checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return exitcode.Usagef("slack: %s is not an absolute https URL", what)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && outbound.IsLoopback(u.Hostname())) {
		return exitcode.Usagef("slack: %s must use https", what)
	}
	return nil
}
