package smtp

import (
	"crypto/tls"
	"net"
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

// TLSMode says how the connection is encrypted.
type TLSMode string

// The TLS modes. Auto is implicit TLS on port 465, STARTTLS (required) on
// every other port, and plain text only to a loopback address on a port
// other than 465 and 587.
const (
	TLSAuto     TLSMode = ""
	TLSStartTLS TLSMode = "starttls" // plain text, then STARTTLS, required
	TLSImplicit TLSMode = "tls"      // TLS from the first byte
	TLSNone     TLSMode = "none"     // plain text: loopback only
)

// DefaultPort is the submission port with STARTTLS.
const DefaultPort = 587

// Config configures the SMTP channel. Gmail: Host smtp.gmail.com, Port 587
// (or 465), Username the full address, Password an app password.
type Config struct {
	Host     string // SMTP_HOST
	Port     int    // SMTP_PORT; 0: DefaultPort
	Username string // SMTP_USERNAME; "": no authentication
	Password string // SMTP_PASSWORD; a secret
	TLS      TLSMode
	// TLSConfig verifies the server; nil: the system's roots and Host.
	TLSConfig *tls.Config
	// Timeout bounds the connection and each command; 0: 30 s.
	Timeout time.Duration
	// Now stamps the Date header; nil: time.Now.
	Now func() time.Time
}

// port returns the port to dial.
func (c Config) port() int {
	if c.Port == 0 {
		return DefaultPort
	}
	return c.Port
}

// mode resolves TLSAuto for the host and port.
func (c Config) mode() TLSMode {
	if c.TLS != TLSAuto {
		return c.TLS
	}
	switch p := c.port(); {
	case p == 465:
		return TLSImplicit
	case p != 587 && outbound.IsLoopback(c.Host):
		return TLSNone
	}
	return TLSStartTLS
}

// Validate reports a usage error for a configuration that cannot send,
// without showing the password.
func (c Config) Validate() error {
	switch {
	case strings.TrimSpace(c.Host) == "":
		return exitcode.Usagef("smtp: set SMTP_HOST (and SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD)")
	case strings.ContainsAny(c.Host, " \t\r\n/@[]") || strings.Contains(c.Host, ":") && net.ParseIP(c.Host) == nil:
		return exitcode.Usagef("smtp: SMTP_HOST must be a host name or address, without port")
	case c.port() < 1 || c.port() > 65535:
		return exitcode.Usagef("smtp: SMTP_PORT must be between 1 and 65535, got %d", c.Port)
	case c.Username != "" && c.Password == "":
		return exitcode.Usagef("smtp: SMTP_USERNAME is set but SMTP_PASSWORD is not")
	case c.Username == "" && c.Password != "":
		return exitcode.Usagef("smtp: SMTP_PASSWORD is set but SMTP_USERNAME is not")
	case strings.ContainsAny(c.Username, "\r\n"):
		return exitcode.Usagef("smtp: SMTP_USERNAME contains a line break")
	}
	switch c.TLS {
	case TLSAuto, TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !outbound.IsLoopback(c.Host) {
			return exitcode.Usagef("smtp: plain text (no TLS) only to a loopback address, not to %s", c.Host)
		}
	default:
		return exitcode.Usagef("smtp: TLS mode must be starttls, tls or none, got %q", string(c.TLS))
	}
	if c.Timeout < 0 {
		return exitcode.Usagef("smtp: timeout must be positive")
	}
	return nil
}
