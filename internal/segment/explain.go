package segment

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/normalize"
	"github.com/intentalert/intentalert/internal/store"
)

// Event is a dated piece of evidence: a website visit or a news publication.
type Event struct {
	Date     string `json:"date"`
	Visitor  string `json:"visitor,omitempty"`
	Headline string `json:"headline,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Window is the evidence inside one time window, and the newest evidence
// before it.
type Window struct {
	Days   int     `json:"days"`
	From   string  `json:"from"` // first day inside the window
	To     string  `json:"to"`   // the as-of date
	Inside []Event `json:"inside"`
	Before *Event  `json:"latest_before,omitempty"`
}

// Explanation says why one company has its segment.
type Explanation struct {
	CompanyID      string `json:"company_id"`
	Domain         string `json:"domain"`
	Address        string `json:"address"`
	AsOf           string `json:"as_of"`
	BuyingIntent   Tier   `json:"buying_intent"`
	VisitsHigh     Window `json:"visits_high_window"`
	NewsHigh       Window `json:"news_high_window"`
	NewsMedium     Window `json:"news_medium_window"`
	NextTier       Tier   `json:"next_tier,omitempty"`
	MissingForNext string `json:"missing_for_next_tier,omitempty"`
}

// Explain gathers the evidence for the company whose id or domain is key.
// Several companies may share a domain: each gets its explanation.
func Explain(ctx context.Context, st *store.Store, p Params, key string) ([]Explanation, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := st.Require(ctx, Required...); err != nil {
		return nil, err
	}
	rows, err := st.DB.QueryContext(ctx, st.SQL("find_company"), normalize.Trim(key))
	if err != nil {
		return nil, fmt.Errorf("explain: find company: %w", err)
	}
	type company struct{ id, domain, address string }
	var found []company
	for rows.Next() {
		var id sql.NullString
		var c company
		if err := rows.Scan(&id, &c.domain, &c.address); err != nil {
			rows.Close()
			return nil, fmt.Errorf("explain: find company: %w", err)
		}
		c.id = id.String
		found = append(found, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("explain: find company: %w", err)
	}
	if len(found) == 0 {
		return nil, exitcode.Dataf("no company with id or domain %q in crm.companies", key)
	}
	var out []Explanation
	for _, c := range found {
		e, err := explainOne(ctx, st, p, c.id, c.domain, c.address)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func explainOne(ctx context.Context, st *store.Store, p Params, id, domain, address string) (Explanation, error) {
	asOf := p.AsOf.Format(time.DateOnly)
	d := normalize.Domain(domain)
	window := func(days int) Window {
		return Window{Days: days, From: p.WindowStart(days - 1).Format(time.DateOnly), To: asOf}
	}
	e := Explanation{CompanyID: id, Domain: domain, Address: address, AsOf: asOf,
		VisitsHigh: window(p.HighDays), NewsHigh: window(p.HighDays), NewsMedium: window(p.MediumDays)}
	if d != "" {
		visits, err := events(ctx, st, "visits_for_domain", d, asOf, p.WindowStart(p.HighDays), func(r *sql.Rows, day *time.Time, ev *Event) error {
			return r.Scan(day, &ev.Visitor)
		})
		if err != nil {
			return e, err
		}
		widest := max(p.HighDays, p.MediumDays)
		news, err := events(ctx, st, "news_for_domain", d, asOf, p.WindowStart(widest), func(r *sql.Rows, day *time.Time, ev *Event) error {
			return r.Scan(day, &ev.Headline, &ev.URL)
		})
		if err != nil {
			return e, err
		}
		split(&e.VisitsHigh, visits, p.WindowStart(p.HighDays))
		split(&e.NewsHigh, news, p.WindowStart(p.HighDays))
		split(&e.NewsMedium, news, p.WindowStart(p.MediumDays))
	}
	e.BuyingIntent = Classify(len(e.VisitsHigh.Inside) > 0, len(e.NewsHigh.Inside) > 0, len(e.NewsMedium.Inside) > 0)
	e.NextTier, e.MissingForNext = missing(e, p)
	return e, nil
}

func events(ctx context.Context, st *store.Store, query, domain, asOf string, start time.Time, scan func(*sql.Rows, *time.Time, *Event) error) ([]Event, error) {
	rows, err := st.DB.QueryContext(ctx, st.SQL(query), domain, asOf, start.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("explain: %s: %w", query, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var day time.Time
		if err := scan(rows, &day, &ev); err != nil {
			return nil, fmt.Errorf("explain: %s: %w", query, err)
		}
		ev.Date = day.Format(time.DateOnly)
		out = append(out, ev)
	}
	return out, rows.Err()
}

// split puts the events newer than start inside w, and the newest older one
// in w.Before. events are newest first.
func split(w *Window, events []Event, start time.Time) {
	s := start.Format(time.DateOnly)
	w.Inside = []Event{}
	for i := range events {
		if events[i].Date > s {
			w.Inside = append(w.Inside, events[i])
			continue
		}
		ev := events[i]
		w.Before = &ev
		return
	}
}

func missing(e Explanation, p Params) (Tier, string) {
	since := p.WindowStart(p.HighDays - 1).Format(time.DateOnly)
	switch e.BuyingIntent {
	case High:
		return "", ""
	case Medium:
		var need []string
		if len(e.VisitsHigh.Inside) == 0 {
			need = append(need, "a website visit")
		}
		if len(e.NewsHigh.Inside) == 0 {
			need = append(need, "a news publication")
		}
		return High, fmt.Sprintf("%s on or after %s", join(need), since)
	default:
		return Medium, fmt.Sprintf("a news publication on or after %s", p.WindowStart(p.MediumDays-1).Format(time.DateOnly))
	}
}

func join(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return parts[0] + " and " + parts[1]
}
