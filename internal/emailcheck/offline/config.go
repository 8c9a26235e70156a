package offline

import (
	"context"
	"net"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// DefaultLookupTimeout bounds one DNS lookup.
const DefaultLookupTimeout = 5 * time.Second

// Resolver looks up DNS records. *net.Resolver satisfies it; tests pass a
// fake.
type Resolver interface {
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Config configures the offline checker.
type Config struct {
	// MX adds a DNS lookup of each domain's mail exchangers: a domain
	// without any (and without an address to fall back on) is invalid; a
	// DNS that cannot be reached makes the address unknown, never invalid.
	MX bool
	// Resolver answers the MX lookups (default: a net.Resolver of its own).
	Resolver Resolver
	// LookupTimeout bounds one lookup (default DefaultLookupTimeout).
	LookupTimeout time.Duration
	// Now stamps results (default time.Now).
	Now func() time.Time
}

// Validate reports a usage error for a negative timeout.
func (c Config) Validate() error {
	if c.LookupTimeout < 0 {
		return exitcode.Usagef("offline: the DNS lookup timeout must be positive, got %s", c.LookupTimeout)
	}
	return nil
}
