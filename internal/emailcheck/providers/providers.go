// Package providers turns verification settings into an emailcheck.Checker
// and runs a verification with them: the one place that knows every
// provider, for the CLI and the pipeline alike.
package providers

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/config"
	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/abstractapi"
	"github.com/intentalert/intentalert/internal/emailcheck/csvimport"
	"github.com/intentalert/intentalert/internal/emailcheck/offline"
	"github.com/intentalert/intentalert/internal/emailcheck/zerobounce"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/store"
)

// Names are the providers --provider accepts; the first is the default.
var Names = []string{offline.Name, zerobounce.Name, abstractapi.Name, csvimport.Name}

// KeyEnv returns the environment variable holding the provider's API key,
// or "" for a provider without one.
func KeyEnv(provider string) string {
	switch provider {
	case zerobounce.Name:
		return "ZEROBOUNCE_API_KEY"
	case abstractapi.Name:
		return "ABSTRACTAPI_API_KEY"
	}
	return ""
}

// Config chooses and configures a provider.
type Config struct {
	Provider string // one of Names (default offline)
	// APIKey is the paid providers' key (see LoadKey).
	APIKey string
	// File is the result file of the csv provider.
	File string
	// MX adds DNS lookups to the offline provider; Resolver answers them
	// (default: the system's).
	MX       bool
	Resolver offline.Resolver
	// Base URLs, version path included ("" for the default).
	ZeroBounceURL     string
	ZeroBounceBulkURL string
	AbstractAPIURL    string
	// HTTPClient makes the paid providers' requests (default: one each).
	HTTPClient *http.Client
	// Now stamps results (default time.Now).
	Now func() time.Time
}

// Validate reports a usage error for an unknown provider, or for --file or
// --mx with a provider they do not apply to; each provider's own Config
// checks the rest. Base URLs of other providers are ignored: they may be
// set in the environment for every run.
func (c Config) Validate() error {
	p := cmp.Or(c.Provider, offline.Name)
	if !slices.Contains(Names, p) {
		return exitcode.Usagef("--provider must be one of %s, got %q", strings.Join(Names, ", "), c.Provider)
	}
	switch {
	case c.File != "" && p != csvimport.Name:
		return exitcode.Usagef("--file applies to --provider csv only")
	case c.MX && p != offline.Name:
		return exitcode.Usagef("--mx applies to --provider offline only")
	}
	return nil
}

// New returns the checker cfg describes.
func New(cfg Config) (emailcheck.Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch cmp.Or(cfg.Provider, offline.Name) {
	case zerobounce.Name:
		return zerobounce.New(zerobounce.Config{APIKey: cfg.APIKey, BaseURL: cfg.ZeroBounceURL, BulkURL: cfg.ZeroBounceBulkURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now})
	case abstractapi.Name:
		return abstractapi.New(abstractapi.Config{APIKey: cfg.APIKey, BaseURL: cfg.AbstractAPIURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now})
	case csvimport.Name:
		return csvimport.New(csvimport.Config{File: cfg.File, Now: cfg.Now})
	}
	return offline.New(offline.Config{MX: cfg.MX, Resolver: cfg.Resolver, Now: cfg.Now})
}

// LoadKey returns the API key of provider: read from keyFile when given
// (trailing white space dropped), else from its environment variable or
// the file its _FILE variable names. lookup is os.LookupEnv outside tests.
// A paid provider without a key is a usage error; the error never holds
// the key.
func LoadKey(provider, keyFile string, lookup func(string) (string, bool)) (string, error) {
	env := KeyEnv(provider)
	if env == "" {
		if keyFile != "" {
			return "", exitcode.Usagef("--api-key-file applies to zerobounce and abstractapi only")
		}
		return "", nil
	}
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", exitcode.Usagef("--api-key-file %s: %v", keyFile, err)
		}
		key := strings.TrimSpace(string(b))
		if key == "" {
			return "", exitcode.Usagef("--api-key-file %s is empty", keyFile)
		}
		return key, nil
	}
	key, _, err := config.LookupSecret(lookup, env)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(key) == "" {
		return "", exitcode.Usagef("%s needs an API key: set %s (or %s%s), or pass --api-key-file", provider, env, env, config.FileSuffix)
	}
	return strings.TrimSpace(key), nil
}

// Verify builds the checker cfg describes and runs emailcheck.Verify with
// it: the entry point for callers without a command line, such as the
// pipeline. opts.Checker is ignored.
func Verify(ctx context.Context, st *store.Store, cfg Config, opts emailcheck.Options) (emailcheck.Summary, error) {
	chk, err := New(cfg)
	if err != nil {
		return emailcheck.Summary{Provider: cfg.Provider}, err
	}
	opts.Checker = chk
	return emailcheck.Verify(ctx, st, opts)
}
