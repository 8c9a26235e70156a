package abstractapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/exitcode"
)

// DefaultBaseURL is the API's base URL, version path included.
const DefaultBaseURL = "https://emailvalidation.abstractapi.com/v1"

// DefaultPerSecond is the free plans' request rate (providers.md 2.3).
const DefaultPerSecond = 1

// Config configures an AbstractAPI client.
type Config struct {
	// APIKey is the Email Validation product's key (each Abstract product
	// has its own). It travels in the query string, never in an error.
	APIKey string
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// PerSecond is the plan's requests per second (default 1).
	PerSecond float64
	// HTTPClient makes the requests (default: a client of its own; the
	// caller's context bounds every request).
	HTTPClient *http.Client
	// Now stamps results (default time.Now).
	Now func() time.Time
}

// Validate reports a usage error for a missing key, a bad URL or rate.
func (c Config) Validate() error {
	if strings.TrimSpace(c.APIKey) == "" {
		return exitcode.Usagef("abstractapi: no API key: set ABSTRACTAPI_API_KEY or pass --api-key-file")
	}
	if c.BaseURL != "" {
		if err := emailcheck.CheckBaseURL(c.BaseURL); err != nil {
			return exitcode.Usagef("abstractapi: base URL: %v", err)
		}
	}
	if c.PerSecond < 0 {
		return exitcode.Usagef("abstractapi: requests per second must be positive, got %g", c.PerSecond)
	}
	return nil
}
