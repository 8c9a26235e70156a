// Package alert tells the business development team about the contacts of
// HIGH buying-intent companies: it selects them in SQL, renders one message
// per contact (or one digest), and delivers the messages over channels with
// one retry loop, per-channel rate limits and a delivery ledger in the
// database, so that a rerun never sends twice what was sent.
//
// The channels themselves (webhook, Slack, SMTP, stdout) live in
// subpackages; they make exactly one attempt per Send and classify their
// failures as *outbound.Error. alerttest holds the conformance suite every
// channel passes and the local test doubles of the providers.
package alert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Channel delivers messages. Send makes exactly one attempt; the Dispatcher
// owns retries. A failed attempt returns an *outbound.Error saying whether
// another attempt is worth it (and how long the provider asked to wait),
// or an error wrapping the context's error. Errors never contain a secret
// (URL, token, password).
type Channel interface {
	Name() string
	Send(ctx context.Context, m Message) error
}

// Alert is the facts of one alert: a contact of a HIGH company, why the
// company is HIGH, and the team's history with the contact.
type Alert struct {
	ContactEmail string `json:"contact_email"` // trimmed, lower-cased: the key of the alert
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Phone        string `json:"phone,omitempty"`
	// Duplicates counts the other CRM contact rows with the same address,
	// which collapsed into this alert.
	Duplicates int `json:"duplicates,omitempty"`

	CompanyID string `json:"company_id"`
	Domain    string `json:"domain,omitempty"`
	Address   string `json:"address,omitempty"`
	Segment   string `json:"segment"`

	// EvidenceDays is the window the visit and the news were found in.
	EvidenceDays int       `json:"evidence_days"`
	Visit        *Visit    `json:"latest_visit,omitempty"`
	News         *News     `json:"latest_news,omitempty"`
	LastOutreach *Outreach `json:"last_outreach,omitempty"` // nil: never contacted

	AsOf time.Time `json:"as_of"`
}

// Visit is a website visit from the company's domain.
type Visit struct {
	Date    string `json:"date"`
	Visitor string `json:"visitor,omitempty"`
}

// News is a news publication about the company.
type News struct {
	Date     string `json:"date"`
	Headline string `json:"headline,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Outreach is the team's latest email to the contact on or before the
// as-of date.
type Outreach struct {
	Date    string `json:"date"`
	From    string `json:"from,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// Name is the contact's full name, or "" when the CRM has none.
func (a Alert) Name() string {
	return strings.TrimSpace(Clean(a.FirstName, maxName) + " " + Clean(a.LastName, maxName))
}

// Message is what a channel sends: the plain-text rendering every channel
// can fall back on, and the facts for channels that format their own.
type Message struct {
	// Key identifies the message across runs: the same channel, contact
	// and as-of date give the same key, which channels pass on as an
	// idempotency key.
	Key     string
	From    string
	To      string
	Subject string
	Text    string
	// Alerts holds the facts: one alert, or every alert of a digest.
	Alerts []Alert
	Digest bool
	AsOf   time.Time
}

// Payload is the JSON object the webhook and stdout channels send: exactly
// these four keys.
type Payload struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Subject string `json:"subject"`
	Message string `json:"message"`
}

// Payload returns the message as the four-key JSON object.
func (m Message) Payload() Payload {
	return Payload{From: m.From, To: m.To, Subject: m.Subject, Message: m.Text}
}

// Key returns the ledger and idempotency key of an alert: a hash of the
// channel, the normalized address and the as-of date.
func Key(channel, email string, asOf time.Time) string {
	return hashKey("alert/v1", channel, strings.ToLower(strings.TrimSpace(email)), asOf.Format(time.DateOnly))
}

// DigestKey returns the idempotency key of a digest: a hash of the channel,
// the as-of date and the keys of the alerts it lists.
func DigestKey(channel string, asOf time.Time, keys []string) string {
	parts := append([]string{"digest/v1", channel, asOf.Format(time.DateOnly)}, keys...)
	return hashKey(parts...)
}

func hashKey(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// MaskEmail hides the local part of an address for logs and messages that
// must not carry full addresses: "jane.doe@acme.com" becomes "j***@acme.com".
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		if addr == "" {
			return ""
		}
		return "***"
	}
	first := []rune(addr[:at])[0]
	return string(first) + "***" + addr[at:]
}
