package alert

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/store"
)

// Default rules.
const (
	DefaultOutreachDays = 14
	DefaultCooldownDays = 7
	DefaultEvidenceDays = 7 // the HIGH window of segmentation
)

// Tables the alert step reads besides the export's: the results of the
// segmentation and verification steps.
var (
	BuyingIntent = store.Table{Name: "customer_buying_intent", Columns: []store.Column{{Name: "company_id"}, {Name: "buying_intent"}}}
	ValidEmails  = store.Table{Name: "valid_emails", Columns: []store.Column{{Name: "email"}, {Name: "is_email_valid"}}}
)

// Params are the rules of one selection.
type Params struct {
	AsOf         time.Time // the date the windows end on (inclusive)
	OutreachDays int       // leave out contacts emailed by the team within this many days
	CooldownDays int       // leave out contacts alerted on the channel within this many days
	EvidenceDays int       // the window the latest visit and news are shown from
}

// Validate reports a usage error for impossible windows.
func (p Params) Validate() error {
	if p.AsOf.IsZero() {
		return exitcode.Usagef("no as-of date")
	}
	if p.OutreachDays < 0 {
		return exitcode.Usagef("--outreach-window-days must be 0 or more, got %d", p.OutreachDays)
	}
	if p.CooldownDays < 0 {
		return exitcode.Usagef("--cooldown-days must be 0 or more, got %d", p.CooldownDays)
	}
	if p.EvidenceDays < 1 {
		return exitcode.Usagef("--high-window-days must be at least 1, got %d", p.EvidenceDays)
	}
	return nil
}

// Exclusion reasons, as alert_select.sql names them.
const (
	ReasonNoAddress      = "no_address"
	ReasonInvalid        = "invalid"
	ReasonNotVerified    = "not_verified"
	ReasonRecentOutreach = "recent_outreach"
	ReasonAlreadySent    = "already_sent"
	ReasonCooldown       = "cooldown"
)

// Exclusions counts the contacts of HIGH companies left out, by reason:
// distinct addresses, except NoAddress which counts contact rows.
type Exclusions struct {
	Invalid        int `json:"invalid"`
	NotVerified    int `json:"not_verified"`
	RecentOutreach int `json:"recent_outreach"`
	AlreadySent    int `json:"already_sent"`
	Cooldown       int `json:"cooldown"`
	NoAddress      int `json:"no_address"`
}

// Total is the number of exclusions.
func (e Exclusions) Total() int {
	return e.Invalid + e.NotVerified + e.RecentOutreach + e.AlreadySent + e.Cooldown + e.NoAddress
}

func (e *Exclusions) add(reason string) error {
	switch reason {
	case ReasonNoAddress:
		e.NoAddress++
	case ReasonInvalid:
		e.Invalid++
	case ReasonNotVerified:
		e.NotVerified++
	case ReasonRecentOutreach:
		e.RecentOutreach++
	case ReasonAlreadySent:
		e.AlreadySent++
	case ReasonCooldown:
		e.Cooldown++
	default:
		return fmt.Errorf("alert_select returned unknown reason %q", reason)
	}
	return nil
}

// Selection is the outcome of the selection for one channel.
type Selection struct {
	Channel  string
	Alerts   []Alert // ordered by company id, then address
	Excluded Exclusions
}

// Require checks the tables the alert step reads, naming the step that
// writes a missing one.
func Require(ctx context.Context, st *store.Store) error {
	if err := st.Require(ctx, store.Companies, store.Contacts, store.News, store.Visits, store.Outreach); err != nil {
		return err
	}
	if err := st.Require(ctx, BuyingIntent); err != nil {
		return exitcode.Wrap(exitcode.Data, fmt.Errorf("%w: run `intentalert segment` first", err))
	}
	if err := st.Require(ctx, ValidEmails); err != nil {
		return exitcode.Wrap(exitcode.Data, fmt.Errorf("%w: run `intentalert verify` first (or import a verification result)", err))
	}
	return nil
}

// Select runs alert_select.sql for one channel on db, which must see the
// ledger table (see EnsureTables).
func Select(ctx context.Context, st *store.Store, db store.DBTX, p Params, channel string) (Selection, error) {
	sel := Selection{Channel: channel}
	rows, err := db.QueryContext(ctx, st.SQL("alert_select"),
		p.AsOf.Format(time.DateOnly), p.OutreachDays, p.EvidenceDays, channel, p.CooldownDays)
	if err != nil {
		return sel, fmt.Errorf("alert: select contacts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			reason, email, first, last, phone, company, domain, address sql.NullString
			visitDate, visitor, newsDate, headline, newsURL             sql.NullString
			outreachDate, outreachFrom, outreachSubject                 sql.NullString
			duplicates                                                  sql.NullInt64
		)
		if err := rows.Scan(&reason, &email, &first, &last, &phone, &duplicates, &company, &domain, &address,
			&visitDate, &visitor, &newsDate, &headline, &newsURL, &outreachDate, &outreachFrom, &outreachSubject); err != nil {
			return sel, fmt.Errorf("alert: select contacts: %w", err)
		}
		if reason.Valid {
			if err := sel.Excluded.add(reason.String); err != nil {
				return sel, err
			}
			continue
		}
		a := Alert{
			ContactEmail: email.String, FirstName: first.String, LastName: last.String, Phone: phone.String,
			Duplicates: int(duplicates.Int64), CompanyID: company.String, Domain: domain.String, Address: address.String,
			Segment: "HIGH", EvidenceDays: p.EvidenceDays, AsOf: p.AsOf,
		}
		if visitDate.Valid {
			a.Visit = &Visit{Date: visitDate.String, Visitor: visitor.String}
		}
		if newsDate.Valid {
			a.News = &News{Date: newsDate.String, Headline: headline.String, URL: newsURL.String}
		}
		if outreachDate.Valid {
			a.LastOutreach = &Outreach{Date: outreachDate.String, From: outreachFrom.String, Subject: outreachSubject.String}
		}
		sel.Alerts = append(sel.Alerts, a)
	}
	if err := rows.Err(); err != nil {
		return sel, fmt.Errorf("alert: select contacts: %w", err)
	}
	return sel, nil
}
