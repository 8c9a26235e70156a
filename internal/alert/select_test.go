package alert_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/store"
)

var asOf = time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)

func day(offset int) string { return asOf.AddDate(0, 0, offset).Format(time.DateOnly) }

// newCRM returns an empty CRM with the tables segmentation and
// verification write: crm.customer_buying_intent and crm.valid_emails.
func newCRM(t *testing.T) *crmtest.CRM {
	t.Helper()
	crm := crmtest.New(t)
	crm.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	crm.Exec(`CREATE TABLE crm.valid_emails (email VARCHAR, is_email_valid BOOLEAN)`)
	return crm
}

// company adds a company with the given segment and returns its id.
func company(crm *crmtest.CRM, domain, tier string) string {
	id := crm.Company("", domain, "1 Main Street")
	if tier != "" {
		crm.Exec(`INSERT INTO crm.customer_buying_intent VALUES ($1, $2)`, id, tier)
	}
	return id
}

func verdict(crm *crmtest.CRM, email string, valid any) {
	crm.Exec(`INSERT INTO crm.valid_emails VALUES ($1, $2)`, email, valid)
}

func openStore(t *testing.T, crm *crmtest.CRM) *store.Store {
	t.Helper()
	crm.Close()
	st, err := store.Open(context.Background(), crm.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// noSleep records waits without waiting.
type noSleep struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func options() alert.Options {
	var s noSleep
	return alert.Options{
		Params:  alert.Params{AsOf: asOf, OutreachDays: 14, CooldownDays: 7, EvidenceDays: 7},
		Backoff: outbound.Backoff{Base: time.Millisecond, Max: time.Millisecond, Attempts: 3},
		Sleep:   s.sleep,
		Now:     func() time.Time { return time.Date(2024, 4, 30, 9, 30, 0, 0, time.UTC) },
	}
}

func prepare(t *testing.T, st *store.Store, o alert.Options) alert.ChannelPlan {
	t.Helper()
	plan, err := alert.Prepare(context.Background(), st, []string{"webhook"}, o)
	if err != nil {
		t.Fatal(err)
	}
	return plan.Channels[0]
}

// prepareAll prepares the webhook channel on every engine, checks the
// engines agree to the message, and returns DuckDB's plan.
func prepareAll(t *testing.T, crm *crmtest.CRM, o alert.Options) alert.ChannelPlan {
	t.Helper()
	var first alert.ChannelPlan
	for i, e := range engines(t, crm) {
		got := prepare(t, e.st, o)
		if i == 0 {
			first = got
			continue
		}
		if got.Excluded != first.Excluded || !slices.EqualFunc(got.Messages, first.Messages, func(a, b alert.Message) bool {
			return a.Key == b.Key && a.Subject == b.Subject && a.Text == b.Text
		}) {
			t.Errorf("%s disagrees with duckdb: alerts %v excluded %+v, want %v %+v", e.name, emails(got.Alerts), got.Excluded, emails(first.Alerts), first.Excluded)
		}
	}
	return first
}

func emails(alerts []alert.Alert) []string {
	var out []string
	for _, a := range alerts {
		out = append(out, a.ContactEmail)
	}
	slices.Sort(out)
	return out
}

func TestOutreachWindowBoundaries(t *testing.T) {
	t.Parallel()
	// With a 14-day window ending on D: outreach on D-14 or earlier, or
	// after D, does not exclude; on D-13 .. D it does.
	tests := []struct {
		name     string
		outreach []int // days relative to D
		alerted  bool
	}{
		{"never contacted", nil, true},
		{"on D", []int{0}, false},
		{"on D-13", []int{-13}, false},
		{"on D-14", []int{-14}, true},
		{"on D-40", []int{-40}, true},
		{"after D (D+1)", []int{1}, true},
		{"D-14 and D-3", []int{-14, -3}, false},
	}
	crm := newCRM(t)
	id := company(crm, "acme.com", "HIGH")
	for i, tt := range tests {
		addr := "c" + string(rune('a'+i)) + "@acme.com"
		crm.Contact(id, "C", tt.name, addr, "")
		verdict(crm, addr, true)
		for _, d := range tt.outreach {
			crm.Outreach(addr, "john.doe@taktile.com", "hello", day(d))
		}
	}
	got := prepareAll(t, crm, options())
	for i, tt := range tests {
		addr := "c" + string(rune('a'+i)) + "@acme.com"
		if in := slices.Contains(emails(got.Alerts), addr); in != tt.alerted {
			t.Errorf("outreach %s: alerted = %v, want %v", tt.name, in, tt.alerted)
		}
	}
	if got.Excluded.RecentOutreach != 3 {
		t.Errorf("recent outreach exclusions = %d, want 3", got.Excluded.RecentOutreach)
	}
}

func TestOutreachWindowDays(t *testing.T) {
	t.Parallel()
	crm := newCRM(t)
	id := company(crm, "acme.com", "HIGH")
	crm.Contact(id, "A", "A", "a@acme.com", "")
	verdict(crm, "a@acme.com", true)
	crm.Outreach("a@acme.com", "x@taktile.com", "hi", day(-20))
	eachEngine(t, crm, func(t *testing.T, st *store.Store) {
		for _, tt := range []struct {
			days    int
			alerted bool
		}{{14, true}, {20, true}, {21, false}, {0, true}} {
			o := options()
			o.OutreachDays = tt.days
			if got := len(prepare(t, st, o).Alerts) == 1; got != tt.alerted {
				t.Errorf("--outreach-window-days %d with outreach on D-20: alerted = %v, want %v", tt.days, got, tt.alerted)
			}
		}
	})
}

func TestCaseInsensitiveMatching(t *testing.T) {
	t.Parallel()
	crm := newCRM(t)
	id := company(crm, "acme.com", "HIGH")
	crm.Contact(id, "Jane", "Doe", " Jane.Doe@ACME.com ", "")
	crm.Contact(id, "Bob", "Roe", "Bob@Acme.com", "")
	crm.Contact(id, "Kim", "Lee", "kim@acme.com", "")
	verdict(crm, "jane.doe@acme.com", true)
	verdict(crm, "  BOB@ACME.COM\t", true)
	verdict(crm, "KIM@ACME.COM", false)
	crm.Outreach("JANE.DOE@Acme.Com ", "john.doe@taktile.com", "hi", day(-2))
	got := prepareAll(t, crm, options())
	if e := emails(got.Alerts); !slices.Equal(e, []string{"bob@acme.com"}) {
		t.Errorf("alerted %v, want [bob@acme.com]", e)
	}
	if got.Excluded.RecentOutreach != 1 || got.Excluded.Invalid != 1 {
		t.Errorf("exclusions %+v, want 1 recent outreach (Jane) and 1 invalid (Kim)", got.Excluded)
	}
}

func TestDuplicateContactsCollapse(t *testing.T) {
	t.Parallel()
	crm := newCRM(t)
	a := company(crm, "acme.com", "HIGH")
	b := company(crm, "acme-holding.com", "HIGH")
	low := company(crm, "low.com", "LOW")
	crm.Contact(a, "Jane", "Doe", "jane@acme.com", "+1 1")
	crm.Contact(a, "Jane", "Doe", "JANE@acme.com ", "+1 2")
	crm.Contact(b, "J.", "Doe", "jane@acme.com", "")
	crm.Contact(low, "Jane", "Doe", "jane@acme.com", "")
	verdict(crm, "jane@acme.com", true)
	verdict(crm, "Jane@Acme.com", true)
	got := prepareAll(t, crm, options())
	if len(got.Alerts) != 1 {
		t.Fatalf("got %d alerts, want 1 for one address: %v", len(got.Alerts), emails(got.Alerts))
	}
	if a0 := got.Alerts[0]; a0.Duplicates != 2 || a0.ContactEmail != "jane@acme.com" {
		t.Errorf("alert %+v, want jane@acme.com with 2 duplicates (the LOW company's row does not count)", a0)
	}
	if len(got.Messages) != 1 {
		t.Errorf("got %d messages, want 1", len(got.Messages))
	}
}

func TestVerdicts(t *testing.T) {
	t.Parallel()
	crm := newCRM(t)
	id := company(crm, "acme.com", "HIGH")
	for _, c := range []struct {
		addr  string
		valid []any // verdict rows
	}{
		{"valid@acme.com", []any{true}},
		{"invalid@acme.com", []any{false}},
		{"unverified@acme.com", nil},
		{"null-verdict@acme.com", []any{nil}},
		{"conflict@acme.com", []any{true, false}},
		{"twice-valid@acme.com", []any{true, true}},
		{"null-and-true@acme.com", []any{nil, true}},
	} {
		crm.Contact(id, "X", c.addr, c.addr, "")
		for _, v := range c.valid {
			verdict(crm, c.addr, v)
		}
	}
	verdict(crm, "", true)
	crm.Exec(`INSERT INTO crm.valid_emails VALUES (NULL, true)`)
	got := prepareAll(t, crm, options())
	want := []string{"null-and-true@acme.com", "twice-valid@acme.com", "valid@acme.com"}
	if e := emails(got.Alerts); !slices.Equal(e, want) {
		t.Errorf("alerted %v, want %v", e, want)
	}
	if got.Excluded.Invalid != 2 || got.Excluded.NotVerified != 2 {
		t.Errorf("exclusions %+v, want 2 invalid (false, conflicting) and 2 not verified (absent, NULL)", got.Excluded)
	}
}

func TestNullsAndMissingValues(t *testing.T) {
	t.Parallel()
	crm := newCRM(t)
	id := company(crm, "acme.com", "HIGH")
	nodomain := crm.Company("", "", "")
	crm.Exec(`INSERT INTO crm.customer_buying_intent VALUES ($1, 'HIGH'), (NULL, 'HIGH'), ('ghost', NULL)`, nodomain)
	crm.Contact(id, "No", "Address", "", "")
	crm.Contact(id, "Empty", "Address", crmtest.EmptyString, "")
	crm.Contact(id, "Blank", "Address", "  \t ", "")
	crm.Exec(`INSERT INTO crm.contacts (company_id, id, first_name, last_name, email) VALUES (NULL, 'orphan', 'O', 'P', 'orphan@acme.com')`)
	crm.Exec(`INSERT INTO crm.contacts (company_id, id, email) VALUES ($1, 'nameless', 'nameless@acme.com')`, id)
	crm.Contact(nodomain, "Dee", "Nodomain", "dee@nodomain.example", "")
	for _, a := range []string{"orphan@acme.com", "nameless@acme.com", "dee@nodomain.example"} {
		verdict(crm, a, true)
	}
	crm.Exec(`INSERT INTO crm.outreach_emails VALUES ('o1', NULL, 'x@taktile.com', 's', $1::DATE, 'l', 'd1')`, day(0))
	crm.Exec(`INSERT INTO crm.outreach_emails VALUES ('o2', 'nameless@acme.com', NULL, NULL, NULL, 'l', 'd2')`)
	got := prepareAll(t, crm, options())
	if e := emails(got.Alerts); !slices.Equal(e, []string{"dee@nodomain.example", "nameless@acme.com"}) {
		t.Errorf("alerted %v, want dee and nameless", e)
	}
	if got.Excluded.NoAddress != 3 {
		t.Errorf("no-address exclusions = %d, want 3 (NULL, empty, blank)", got.Excluded.NoAddress)
	}
	for _, a := range got.Alerts {
		m := alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, a)
		if a.ContactEmail == "nameless@acme.com" {
			if !strings.Contains(m.Subject, "nameless@acme.com at acme.com") || a.LastOutreach != nil {
				t.Errorf("nameless: subject %q, outreach %+v; want the address as the name and never contacted", m.Subject, a.LastOutreach)
			}
		}
		if a.ContactEmail == "dee@nodomain.example" && (a.Domain != "" || a.Visit != nil || !strings.Contains(m.Subject, "company ")) {
			t.Errorf("dee: %+v, subject %q; want no domain, no evidence, the company named by id", a, m.Subject)
		}
		if !strings.Contains(m.Text, "never contacted") {
			t.Errorf("%s: message lacks 'never contacted':\n%s", a.ContactEmail, m.Text)
		}
	}
}

func TestOnlyHighCompanies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tier    string
		alerted bool
	}{{"HIGH", true}, {" high ", true}, {"MEDIUM", false}, {"LOW", false}, {"", false}}
	crm := newCRM(t)
	for i, tt := range tests {
		domain := "c" + string(rune('a'+i)) + ".com"
		id := company(crm, domain, tt.tier)
		crm.Contact(id, "C", tt.tier, "c@"+domain, "")
		verdict(crm, "c@"+domain, true)
	}
	got := emails(prepareAll(t, crm, options()).Alerts)
	for i, tt := range tests {
		addr := "c@c" + string(rune('a'+i)) + ".com"
		if slices.Contains(got, addr) != tt.alerted {
			t.Errorf("segment %q: alerted = %v, want %v", tt.tier, !tt.alerted, tt.alerted)
		}
	}
}

func TestEvidenceAndContext(t *testing.T) {
	t.Parallel()
	crm := newCRM(t)
	id := company(crm, "Acme.com", "HIGH")
	crm.Contact(id, "Jane", "Doe", "jane@acme.com", "+1 555")
	verdict(crm, "jane@acme.com", true)
	crm.Visit("old@acme.com", day(-7))   // outside the 7-day window
	crm.Visit("bob@ACME.com", day(-2))   // latest inside
	crm.Visit("amy@acme.com", day(-2))   // same day: first by visitor
	crm.Visit("future@acme.com", day(1)) // after D
	crm.News("https://www.acme.com/a", day(-6), "Older inside")
	crm.News("http://acme.com/b", day(-1), "Latest headline")
	crm.News("https://acme.com/c", day(2), "Future news")
	crm.News("https://other.com/d", day(0), "Other company")
	crm.Outreach("jane@acme.com", "anna@taktile.com", "First touch", day(-60))
	crm.Outreach("jane@acme.com", "john.doe@taktile.com", "Follow-up", day(-30))
	crm.Outreach("jane@acme.com", "late@taktile.com", "After D", day(3))
	got := prepareAll(t, crm, options())
	if len(got.Alerts) != 1 {
		t.Fatalf("got %d alerts, want 1", len(got.Alerts))
	}
	a := got.Alerts[0]
	if a.Visit == nil || *a.Visit != (alert.Visit{Date: day(-2), Visitor: "amy@acme.com"}) {
		t.Errorf("visit = %+v, want %s by amy@acme.com", a.Visit, day(-2))
	}
	if a.News == nil || *a.News != (alert.News{Date: day(-1), Headline: "Latest headline", URL: "http://acme.com/b"}) {
		t.Errorf("news = %+v, want the latest inside the window", a.News)
	}
	if a.LastOutreach == nil || *a.LastOutreach != (alert.Outreach{Date: day(-30), From: "john.doe@taktile.com", Subject: "Follow-up"}) {
		t.Errorf("last outreach = %+v, want %s by john.doe", a.LastOutreach, day(-30))
	}
	text := got.Messages[0].Text
	for _, want := range []string{"Jane Doe", "jane@acme.com", "+1 555", "Acme.com", "1 Main Street", "HIGH",
		day(-2) + " by amy@acme.com", day(-1) + ` "Latest headline" http://acme.com/b`,
		day(-30) + " by john.doe@taktile.com", "Account owner:  john.doe@taktile.com", "2024-04-30"} {
		if !strings.Contains(text, want) {
			t.Errorf("message lacks %q:\n%s", want, text)
		}
	}
	if s := got.Messages[0].Subject; s != "HIGH buying intent: Jane Doe at Acme.com" {
		t.Errorf("subject = %q", s)
	}
}

func TestMissingTables(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		table, hint string
	}{{"customer_buying_intent", "intentalert segment"}, {"valid_emails", "intentalert verify"}} {
		crm := newCRM(t)
		crm.Exec(`DROP TABLE crm.` + tt.table)
		_, err := alert.Prepare(context.Background(), openStore(t, crm), []string{"webhook"}, options())
		if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), tt.hint) {
			t.Errorf("without crm.%s: %v (exit %d), want exit 3 naming %q", tt.table, err, exitcode.Of(err), tt.hint)
		}
	}
}

func TestValidEmailsAsText(t *testing.T) {
	t.Parallel()
	// A verification result imported from the CSV as text still works.
	crm := crmtest.New(t)
	crm.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	crm.Exec(`CREATE TABLE crm.valid_emails (email VARCHAR, is_email_valid VARCHAR)`)
	id := company(crm, "acme.com", "HIGH")
	crm.Contact(id, "A", "A", "a@acme.com", "")
	crm.Contact(id, "B", "B", "b@acme.com", "")
	crm.Exec(`INSERT INTO crm.valid_emails VALUES ('a@acme.com', 'True'), ('b@acme.com', 'False')`)
	got := prepareAll(t, crm, options())
	if e := emails(got.Alerts); !slices.Equal(e, []string{"a@acme.com"}) || got.Excluded.Invalid != 1 {
		t.Errorf("alerted %v, excluded %+v; want a@acme.com, 1 invalid", e, got.Excluded)
	}
}

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*alert.Options)
	}{
		{"negative outreach window", func(o *alert.Options) { o.OutreachDays = -1 }},
		{"negative cooldown", func(o *alert.Options) { o.CooldownDays = -1 }},
		{"zero evidence window", func(o *alert.Options) { o.EvidenceDays = 0 }},
		{"bad from", func(o *alert.Options) { o.From = "not an address" }},
		{"from with a display name", func(o *alert.Options) { o.From = "Alerts <a@taktile.com>" }},
		{"to with a line break", func(o *alert.Options) { o.To = "a@taktile.com\r\nBcc: x@y.z" }},
		{"negative cap", func(o *alert.Options) { o.MaxAlerts = -1 }},
		{"zero concurrency", func(o *alert.Options) { o.Concurrency = -1 }},
	}
	for _, tt := range tests {
		o := options().Defaults()
		tt.change(&o)
		if err := o.Validate(); exitcode.Of(err) != exitcode.Usage {
			t.Errorf("%s: Validate = %v, want a usage error", tt.name, err)
		}
	}
	if err := options().Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
