package alert_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
)

// tame is the same alert with every CRM value replaced by a plain one.
func tame(a alert.Alert) alert.Alert {
	s := alerttest.Sample()
	a.FirstName, a.LastName, a.ContactEmail, a.Phone = s.FirstName, s.LastName, s.ContactEmail, s.Phone
	a.CompanyID, a.Domain, a.Address = s.CompanyID, s.Domain, s.Address
	if a.Visit != nil {
		a.Visit = s.Visit
	}
	if a.News != nil {
		a.News = s.News
	}
	if a.LastOutreach != nil {
		a.LastOutreach = s.LastOutreach
	}
	return a
}

// labels are what a line of an alert's text starts with: the lead, a
// section title or a field label; a CRM value that added a line would
// start one with something else.
var labels = regexp.MustCompile(`^(|.* shows HIGH buying intent as of 2024-04-30\.|Who|Company|Why|Context|As of|  (Name|Email|Phone|CRM records|Domain|Address|Company ID|Segment|Latest visit|Latest news|Last outreach|Account owner|Date):  .*)$`)

// FuzzRender checks the plain-text rendering every channel builds on:
// whatever the CRM holds, the subject is one clean line of at most 200
// characters and the text keeps the template's lines, as many as with
// plain values; a digest likewise.
func FuzzRender(f *testing.F) {
	alerttest.AddFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, email, company, text, url string, flags uint8) {
		a := alerttest.FuzzAlert(name, email, company, text, url, flags)
		m := alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, a)
		if !alerttest.Inert(m.Subject, false) || utf8.RuneCountInString(m.Subject) > 200 {
			t.Fatalf("subject %q is not one clean line of at most 200 characters", m.Subject)
		}
		if !alerttest.Inert(m.Text, true) {
			t.Fatalf("text has a control or invisible character: %q", m.Text)
		}
		for _, line := range strings.Split(m.Text, "\n") {
			if !labels.MatchString(line) {
				t.Fatalf("text line %q is not one of the template's", line)
			}
		}
		plain := alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, tame(a))
		if got, want := strings.Count(m.Text, "\n"), strings.Count(plain.Text, "\n"); got != want {
			t.Fatalf("text has %d lines, %d with plain values", got, want)
		}
		d := alert.NewDigest("webhook", alert.DefaultFrom, alert.DefaultTo, alerttest.AsOf, []alert.Alert{a, alerttest.Sample(), a})
		pd := alert.NewDigest("webhook", alert.DefaultFrom, alert.DefaultTo, alerttest.AsOf, []alert.Alert{tame(a), alerttest.Sample(), tame(a)})
		if !alerttest.Inert(d.Subject, false) || !alerttest.Inert(d.Text, true) || strings.Count(d.Text, "\n") != strings.Count(pd.Text, "\n") {
			t.Fatalf("digest: subject %q or text not clean, or %d lines instead of %d", d.Subject, strings.Count(d.Text, "\n"), strings.Count(pd.Text, "\n"))
		}
		if m.Key != alert.Key("webhook", email, alerttest.AsOf) || len(m.Key) != 32 {
			t.Fatalf("key %q is not the alert's", m.Key)
		}
	})
}
