package zerobounce

import (
	"net/http"
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/exitcode"
)

// Default base URLs, version path included (providers.md 1.1 and 1.7).
const (
	DefaultBaseURL = "https://api.zerobounce.net/v2"     // validate and getcredits
	DefaultBulkURL = "https://bulkapi.zerobounce.net/v2" // validatebatch
)

// Config configures a ZeroBounce client.
type Config struct {
	// APIKey is the account's key. It travels in query strings and request
	// bodies, never in an error or a log.
	APIKey string
	// BaseURL serves validate and getcredits (default DefaultBaseURL; the
	// regional hosts are https://api-us.zerobounce.net/v2 and
	// https://api-eu.zerobounce.net/v2).
	BaseURL string
	// BulkURL serves validatebatch (default DefaultBulkURL).
	BulkURL string
	// HTTPClient makes the requests (default: a client of its own, with
	// no timeout: the caller's context bounds every request).
	HTTPClient *http.Client
	// Now stamps results (default time.Now).
	Now func() time.Time
}

// Validate reports a usage error for a missing key or a bad URL.
func (c Config) Validate() error {
	if strings.TrimSpace(c.APIKey) == "" {
		return exitcode.Usagef("zerobounce: no API key: set ZEROBOUNCE_API_KEY or pass --api-key-file")
	}
	for _, u := range []struct{ name, value string }{{"base URL", c.BaseURL}, {"bulk URL", c.BulkURL}} {
		if u.value == "" {
			continue
		}
		if err := emailcheck.CheckBaseURL(u.value); err != nil {
			return exitcode.Usagef("zerobounce: %s: %v", u.name, err)
		}
	}
	return nil
}
