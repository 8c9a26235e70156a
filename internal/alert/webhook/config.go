package webhook

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Config configures the webhook channel.
type Config struct {
	// URL receives the POSTs. It is a secret: webhook URLs carry their
	// credentials in the path. https is required, except to a loopback
	// address.
	URL string
	// Secret, when set, signs every request (see Sign). Optional.
	Secret string
	// Client sends the requests; nil: a client of its own that never
	// follows redirects.
	Client *http.Client
	// Now stamps the signature; nil: time.Now.
	Now func() time.Time
}

// Validate reports a usage error for a missing or unusable URL, without
// showing the URL.
func (c Config) Validate() error {
	if strings.TrimSpace(c.URL) == "" {
		return exitcode.Usagef("webhook: no URL: set --webhook-url or INTENTALERT_WEBHOOK_URL")
	}
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		return exitcode.Usagef("webhook: the URL is not an absolute http(s) URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && outbound.IsLoopback(u.Hostname()):
	case u.Scheme == "http":
		return exitcode.Usagef("webhook: the URL must use https (plain http only to a loopback address)")
	default:
		return exitcode.Usagef("webhook: the URL must use https, not %q", u.Scheme)
	}
	if strings.ContainsAny(c.Secret, "\r\n") {
		return exitcode.Usagef("webhook: INTENTALERT_WEBHOOK_SECRET contains a line break")
	}
	return nil
}
