// Package smtp delivers alerts as email through any SMTP server (Gmail
// among them), with a plain-text and an HTML part. It encrypts with
// STARTTLS (port 587) or implicit TLS (port 465), and talks plain text only
// to a loopback address. CRM values never reach a header unencoded, so a
// CR or LF in the CRM cannot add a header.
package smtp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the channel's name.
const Name = "smtp"

// DefaultRate keeps well inside mail providers' sending limits.
const DefaultRate rate.Limit = 2

// Notifier sends alerts by email.
type Notifier struct {
	cfg     Config
	mode    TLSMode
	now     func() time.Time
	secrets []string
}

// New returns a Notifier for a valid configuration.
func New(c Config) (*Notifier, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	n := &Notifier{cfg: c, mode: c.mode(), now: c.Now, secrets: []string{c.Password}}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// Name returns "smtp".
func (n *Notifier) Name() string { return Name }

// Mode returns the TLS mode the notifier uses.
func (n *Notifier) Mode() TLSMode { return n.mode }

// Build returns the email for m, dated now.
func Build(m alert.Message, now time.Time) (*mail.Msg, error) {
	html, err := HTML(m)
	if err != nil {
		return nil, fmt.Errorf("render HTML part: %w", err)
	}
	text := m.Text
	msg := mail.NewMsg(mail.WithBoundary(boundary(m.Key, text, html)), mail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("From address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("To address: %w", err)
	}
	// The subject holds CRM values: go-mail encodes it (RFC 2047) whenever
	// it has a byte outside printable ASCII, and alert.Clean has already
	// turned CR and LF into spaces. Both would have to fail for a header
	// to be injected; oneLine makes sure.
	msg.Subject(oneLine(m.Subject))
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(m.Key + "@" + domainOf(m.From))
	msg.SetUserAgent("intentalert")
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	return msg, nil
}

// oneLine replaces every control character with a space.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "intentalert.invalid"
}

// boundary is derived from the content it separates, so it is stable for
// golden files yet cannot be predicted and planted by CRM data.
func boundary(key, text, html string) string {
	h := sha256.Sum256([]byte(key + "\x00" + text + "\x00" + html))
	return "intentalert-" + hex.EncodeToString(h[:12])
}

// Send makes one SMTP transaction for m: connect, encrypt, authenticate,
// MAIL, RCPT, DATA.
func (n *Notifier) Send(ctx context.Context, m alert.Message) error {
	msg, err := Build(m, n.now())
	if err != nil {
		return outbound.Permanent(fmt.Errorf("smtp: build message: %w", err))
	}
	var (
		mu    sync.Mutex
		stops []func() bool
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, stop := range stops {
			stop()
		}
	}()
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		d := &net.Dialer{Timeout: n.cfg.Timeout}
		var conn net.Conn
		var err error
		if n.mode == TLSImplicit {
			conn, err = (&tls.Dialer{NetDialer: d, Config: n.tlsConfig()}).DialContext(dctx, network, addr)
		} else {
			conn, err = d.DialContext(dctx, network, addr)
		}
		if err != nil {
			return nil, err
		}
		// go-mail bounds each command with deadlines; closing the
		// connection when ctx ends makes cancellation immediate.
		mu.Lock()
		stops = append(stops, context.AfterFunc(ctx, func() { conn.Close() }))
		mu.Unlock()
		return conn, nil
	}
	opts := []mail.Option{
		mail.WithPort(n.cfg.port()),
		mail.WithTimeout(n.cfg.Timeout),
		mail.WithDialContextFunc(dial),
		mail.WithTLSConfig(n.tlsConfig()),
	}
	switch n.mode {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if n.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(n.cfg.Username), mail.WithPassword(n.cfg.Password))
	}
	client, err := mail.NewClient(n.cfg.Host, opts...)
	if err != nil {
		return outbound.Permanent(fmt.Errorf("smtp: %s", n.scrub(err.Error())))
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return nil
	}
	text := "smtp: " + n.scrub(err.Error())
	if cerr := ctx.Err(); cerr != nil {
		return &outbound.Error{Err: fmt.Errorf("%w: %s", cerr, text)}
	}
	return &outbound.Error{Retry: retryable(err), Status: replyCode(err), Err: &sendError{text: text, err: err}}
}

func (n *Notifier) tlsConfig() *tls.Config {
	if n.cfg.TLSConfig != nil {
		c := n.cfg.TLSConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = n.cfg.Host
		}
		return c
	}
	return &tls.Config{ServerName: n.cfg.Host, MinVersion: tls.VersionTLS12}
}

func (n *Notifier) scrub(s string) string { return outbound.Scrub(s, n.secrets...) }

type sendError struct {
	text string
	err  error
}

func (e *sendError) Error() string { return e.text }
func (e *sendError) Unwrap() error { return e.err }

// replyCode returns the SMTP reply code of err, 0 when it has none.
func replyCode(err error) int {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	// go-mail formats some replies into its own errors: "SMTP AUTH
	// failed: 535 5.7.8 ...".
	msg := err.Error()
	for _, marker := range []string{"failed: ", ": "} {
		if i := strings.LastIndex(msg, marker); i >= 0 && len(msg) >= i+len(marker)+3 {
			if code, cerr := strconv.Atoi(msg[i+len(marker) : i+len(marker)+3]); cerr == nil && code >= 200 && code < 600 {
				return code
			}
		}
	}
	return 0
}

// retryable classifies a failed transaction: 4xx replies are temporary,
// 5xx permanent; connection failures are retried; a certificate the
// server cannot prove, a server without STARTTLS or AUTH, and a message
// the server cannot take are permanent.
func retryable(err error) bool {
	if code := replyCode(err); code != 0 {
		return code >= 400 && code < 500
	}
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidCert), errors.As(err, &recordErr):
		return false
	case errors.Is(err, mail.ErrServerNoUnencoded), errors.Is(err, mail.ErrNoHostname), errors.Is(err, mail.ErrInvalidPort):
		return false
	}
	var se *mail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
			return false
		}
	}
	msg := err.Error()
	for _, permanent := range []string{"does not support STARTTLS", "does not support SMTP AUTH", "not supported", "unencrypted connection", "wrong host name"} {
		if strings.Contains(msg, permanent) {
			return false
		}
	}
	return true
}

var htmlTemplate = template.Must(template.New("alert").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; font-size: 14px; color: #222">
<p><strong>{{.Lead}}</strong></p>
{{- range $i, $a := .Alerts}}
{{- if $.Digest}}
<h3>{{inc $i}}. {{$a.Label}}</h3>
{{- end}}
{{- range $a.Sections}}
<h4 style="margin: 12px 0 4px">{{.Title}}</h4>
<table style="border-collapse: collapse">
{{- range .Fields}}
<tr><td style="padding: 2px 12px 2px 0; color: #666; vertical-align: top">{{.Label}}</td><td style="padding: 2px 0">{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- end}}
<p style="color: #888; font-size: 12px">intentalert · as of {{.AsOf}} · ref {{.Key}}</p>
</body></html>
`))

type htmlAlert struct {
	Label    string
	Sections []alert.Section
}

// HTML renders m as the HTML part: the same facts as the plain text, every
// value escaped by html/template.
func HTML(m alert.Message) (string, error) {
	data := struct {
		Subject, Lead, AsOf, Key string
		Digest                   bool
		Alerts                   []htmlAlert
	}{Subject: m.Subject, AsOf: m.AsOf.Format(time.DateOnly), Key: m.Key, Digest: m.Digest || len(m.Alerts) != 1}
	if data.Digest {
		data.Lead = alert.DigestLead(len(m.Alerts), m.AsOf)
	} else if len(m.Alerts) == 1 {
		data.Lead = m.Alerts[0].Lead()
	}
	for _, a := range m.Alerts {
		sections := a.Sections()
		if data.Digest {
			sections = sections[:len(sections)-1] // the as-of date is in the footer
		}
		data.Alerts = append(data.Alerts, htmlAlert{Label: a.ContactLabel() + " at " + a.CompanyLabel(), Sections: sections})
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, data); err != nil {
		return "", err
	}
	return buf.String(), nil
}
