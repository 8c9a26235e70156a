// Package emailcheck verifies the email addresses of the contacts that
// matter: it selects them from the CRM, answers what it can from the cache
// of earlier checks, sends the rest to a provider (a paid API, an offline
// checker or an imported result file) through one retry loop, records every
// answer as it arrives and writes the verdicts back to the CRM.
//
// Providers live in their own packages (zerobounce, abstractapi, offline,
// csvimport) and satisfy the Checker interface defined here; providers.New
// turns configuration into a Checker.
package emailcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Verdict is the normalised outcome of one check.
type Verdict string

// The five verdicts. docs/verification.md maps every provider status onto
// them.
const (
	Valid     Verdict = "valid"       // the mailbox exists and accepts mail
	Invalid   Verdict = "invalid"     // not deliverable, or malformed
	CatchAll  Verdict = "catch-all"   // the domain accepts everything: cannot tell
	Unknown   Verdict = "unknown"     // could not be checked now: retried on the next run
	DoNotMail Verdict = "do-not-mail" // deliverable but must not be mailed (disposable, role, trap, abuse)
)

// Verdicts lists every verdict, in the order summaries show them.
var Verdicts = []Verdict{Valid, Invalid, CatchAll, Unknown, DoNotMail}

// ParseVerdict parses one of the five verdict names.
func ParseVerdict(s string) (Verdict, error) {
	v := Verdict(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Verdicts {
		if v == known {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown verdict %q (want one of valid, invalid, catch-all, unknown, do-not-mail)", s)
}

// SubStatusSyntax is the sub-status of an address that fails the syntax
// check. It is ZeroBounce's name for the same thing.
const SubStatusSyntax = "failed_syntax_check"

// Result is the answer for one address.
type Result struct {
	Email     string          `json:"email"`                // as asked: trimmed and lower-cased
	Verdict   Verdict         `json:"verdict"`              // normalised outcome
	SubStatus string          `json:"sub_status,omitempty"` // provider detail, "" when none
	Provider  string          `json:"provider"`             // the Checker's Name
	CheckedAt time.Time       `json:"checked_at"`           // when the answer arrived (UTC)
	Credits   int             `json:"credits"`              // credits the check cost
	Raw       json.RawMessage `json:"raw,omitempty"`        // the provider's answer for this address
}

// Checker checks addresses with one provider. Implementations live in
// their own packages and are checked by emailchecktest.Run.
type Checker interface {
	// Name is the provider's name, recorded with every result: zerobounce,
	// abstractapi, offline or csv.
	Name() string
	// MaxBatch is the largest number of addresses one Check accepts.
	MaxBatch() int
	// Check makes exactly one attempt at checking emails (at most
	// MaxBatch, trimmed and lower-cased). It first runs CheckSyntax and never
	// sends a malformed address: those come back Invalid with sub-status
	// SubStatusSyntax. On success it returns one Result per address, except
	// that a checker answering from a fixed list (csv) omits the addresses
	// it does not hold. On failure it returns no result and an error; an
	// *outbound.Error says whether another attempt is worth it. Errors never
	// carry a secret.
	Check(ctx context.Context, emails []string) ([]Result, error)
}

// CreditChecker is a Checker whose provider can tell the credits left.
type CreditChecker interface {
	// Credits makes one attempt at reading the balance. An invalid key is
	// an error wrapping ErrAuth.
	Credits(ctx context.Context) (int, error)
}

// Pacer is a Checker whose provider limits the request rate: Verify paces
// its attempts with a token bucket of this rate and burst.
type Pacer interface {
	Limit() (rate.Limit, int)
}

// Lister is a Checker that answers from a fixed list of addresses (an
// imported file): Verify records every address it lists, in scope or not.
type Lister interface {
	Addresses() []string
}

// Errors providers wrap, so that callers can tell what went wrong with
// errors.Is. ZeroBounce reports a bad key and an empty account with one
// message; its errors wrap both.
var (
	ErrAuth    = errors.New("the API key was refused")
	ErrCredits = errors.New("the account has no credits left")
	ErrBlocked = errors.New("the provider's firewall refused the request")
)

// MalformedResult is the answer for an address that fails CheckSyntax.
func MalformedResult(email, provider string, at time.Time, why error) Result {
	raw, _ := json.Marshal(map[string]string{"syntax_error": why.Error()})
	return Result{Email: email, Verdict: Invalid, SubStatus: SubStatusSyntax, Provider: provider, CheckedAt: at.UTC(), Raw: raw}
}

// SplitMalformed separates the addresses worth sending from those that
// fail CheckSyntax, which it answers as invalid.
func SplitMalformed(emails []string, provider string, at time.Time) (send []string, malformed []Result) {
	for _, e := range emails {
		if err := CheckSyntax(e); err != nil {
			malformed = append(malformed, MalformedResult(e, provider, at, err))
			continue
		}
		send = append(send, e)
	}
	return send, malformed
}

// CheckBaseURL reports what is wrong with a provider base URL: it must be
// http or https with a host, and carry no user, query or fragment (keys go
// in the key settings, never in URLs). Its message never repeats a query or
// user, which could hold a key.
func CheckBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s://%s%s: want an http or https URL", u.Scheme, u.Host, u.Path)
	case u.Host == "":
		return errors.New("no host")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%s://%s%s: a base URL carries no user, query or fragment", u.Scheme, u.Host, u.Path)
	}
	return nil
}
