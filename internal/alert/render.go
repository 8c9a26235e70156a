package alert

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Longest CRM values shown, in runes; longer ones are cut with "…".
const (
	maxName     = 100
	maxEmail    = 254
	maxPhone    = 50
	maxDomain   = 253
	maxAddress  = 300
	maxHeadline = 300
	maxURL      = 500
	maxSubject  = 200
	maxID       = 100
)

// Clean makes a CRM value safe to show on one line anywhere: invalid UTF-8
// becomes U+FFFD, control characters (CR and LF among them), line and
// paragraph separators become spaces, bidirectional overrides are removed,
// runs of white space collapse, and the result is cut to at most max runes.
// Channels still escape for their own formats.
func Clean(s string, max int) string {
	// Only the first max runes can show: look at a bounded prefix, so that
	// a huge value costs no more than a short one.
	if limit := 8*max + 64; len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + " …"
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u2028' || r == '\u2029' || unicode.IsControl(r):
			return ' '
		case r == '\u200e' || r == '\u200f' || r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069':
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, max)
}

// userinfo matches the user information of a URL, with or without a
// scheme ("https://user:password@"): everything up to the last "@" before
// the path, query or fragment, as normalize.Host reads it.
var userinfo = regexp.MustCompile(`^(\s*(?:[a-zA-Z][a-zA-Z0-9+.\-]*://)?)[^/?#]*@`)

// withoutUserinfo removes the user and password a CRM's URL may carry, so
// that no alert shows a credential found in the data.
func withoutUserinfo(u string) string { return userinfo.ReplaceAllString(u, "${1}") }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// Field is one labelled fact.
type Field struct {
	Label string
	Value string
}

// Section is a titled group of facts. Every channel renders the same
// sections in its own format, so all show the same facts.
type Section struct {
	Title  string
	Fields []Field
}

// ContactLabel names the contact: the full name, or the address when the
// CRM has no name.
func (a Alert) ContactLabel() string {
	if n := a.Name(); n != "" {
		return n
	}
	if a.ContactEmail != "" {
		return Clean(a.ContactEmail, maxEmail)
	}
	return "an unnamed contact"
}

// CompanyLabel names the company: its domain, or its id.
func (a Alert) CompanyLabel() string {
	if d := Clean(a.Domain, maxDomain); d != "" {
		return d
	}
	if id := Clean(a.CompanyID, maxID); id != "" {
		return "company " + id
	}
	return "an unknown company"
}

// Subject is the alert's one-line subject: it names the contact and the
// company.
func (a Alert) Subject() string {
	return truncate(fmt.Sprintf("%s buying intent: %s at %s", a.segment(), a.ContactLabel(), a.CompanyLabel()), maxSubject)
}

// Lead is the first sentence of the message.
func (a Alert) Lead() string {
	return fmt.Sprintf("%s at %s shows %s buying intent as of %s.", a.ContactLabel(), a.CompanyLabel(), a.segment(), a.AsOf.Format(time.DateOnly))
}

func (a Alert) segment() string {
	if s := Clean(a.Segment, 20); s != "" {
		return s
	}
	return "HIGH"
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// Sections returns the alert's facts: who, the company, why, the context
// and the as-of date.
func (a Alert) Sections() []Section {
	who := []Field{
		{"Name", orNone(a.Name(), "not in the CRM")},
		{"Email", Clean(a.ContactEmail, maxEmail)},
		{"Phone", orNone(Clean(a.Phone, maxPhone), "not in the CRM")},
	}
	if a.Duplicates > 0 {
		who = append(who, Field{"CRM records", strconv.Itoa(a.Duplicates+1) + " contacts share this address"})
	}
	company := []Field{
		{"Domain", orNone(Clean(a.Domain, maxDomain), "not in the CRM")},
		{"Address", orNone(Clean(a.Address, maxAddress), "not in the CRM")},
		{"Company ID", Clean(a.CompanyID, maxID)},
	}
	days := a.EvidenceDays
	from := a.AsOf.AddDate(0, 0, -days+1).Format(time.DateOnly)
	why := []Field{{"Segment", fmt.Sprintf("%s: a website visit and a news publication within the last %d days (%s to %s)",
		a.segment(), days, from, a.AsOf.Format(time.DateOnly))}}
	none := fmt.Sprintf("none in the last %d days", days)
	if v := a.Visit; v != nil {
		s := Clean(v.Date, 10)
		if who := Clean(v.Visitor, maxEmail); who != "" {
			s += " by " + who
		}
		why = append(why, Field{"Latest visit", s})
	} else {
		why = append(why, Field{"Latest visit", none})
	}
	if n := a.News; n != nil {
		s := Clean(n.Date, 10)
		if h := Clean(n.Headline, maxHeadline); h != "" {
			s += ` "` + h + `"`
		}
		if u := Clean(withoutUserinfo(n.URL), maxURL); u != "" {
			s += " " + u
		}
		why = append(why, Field{"Latest news", s})
	} else {
		why = append(why, Field{"Latest news", none})
	}
	var context []Field
	if o := a.LastOutreach; o != nil {
		s := Clean(o.Date, 10)
		sender := Clean(o.From, maxEmail)
		if sender != "" {
			s += " by " + sender
		}
		if subj := Clean(o.Subject, maxSubject); subj != "" {
			s += `, subject "` + subj + `"`
		}
		context = append(context, Field{"Last outreach", s}, Field{"Account owner", orNone(sender, "unknown")})
	} else {
		context = append(context, Field{"Last outreach", "never contacted"}, Field{"Account owner", "none yet"})
	}
	return []Section{
		{"Who", who},
		{"Company", company},
		{"Why", why},
		{"Context", context},
		{"As of", []Field{{"Date", a.AsOf.Format(time.DateOnly)}}},
	}
}

// Text renders the alert as readable plain text.
func (a Alert) Text() string {
	var b strings.Builder
	b.WriteString(a.Lead())
	b.WriteString("\n")
	writeSections(&b, a.Sections(), "")
	return b.String()
}

func writeSections(b *strings.Builder, sections []Section, indent string) {
	for _, s := range sections {
		width := 0
		for _, f := range s.Fields {
			width = max(width, len(f.Label))
		}
		fmt.Fprintf(b, "\n%s%s\n", indent, s.Title)
		for _, f := range s.Fields {
			fmt.Fprintf(b, "%s  %-*s  %s\n", indent, width+1, f.Label+":", f.Value)
		}
	}
}

// DigestSubject is the subject of a digest of n alerts.
func DigestSubject(n int, asOf time.Time) string {
	return fmt.Sprintf("HIGH buying intent: %d contact%s as of %s", n, plural(n), asOf.Format(time.DateOnly))
}

// DigestLead is the first sentence of a digest.
func DigestLead(n int, asOf time.Time) string {
	return fmt.Sprintf("%d contact%s at HIGH buying-intent companies as of %s.", n, plural(n), asOf.Format(time.DateOnly))
}

// DigestText renders several alerts as one plain-text message.
func DigestText(alerts []Alert, asOf time.Time) string {
	var b strings.Builder
	b.WriteString(DigestLead(len(alerts), asOf))
	b.WriteString("\n")
	for i, a := range alerts {
		fmt.Fprintf(&b, "\n%d. %s at %s\n", i+1, a.ContactLabel(), a.CompanyLabel())
		sections := a.Sections()
		writeSections(&b, sections[:len(sections)-1], "   ")
	}
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// NewMessage renders one alert as a message.
func NewMessage(channel, from, to string, a Alert) Message {
	return Message{
		Key:     Key(channel, a.ContactEmail, a.AsOf),
		From:    from,
		To:      to,
		Subject: a.Subject(),
		Text:    a.Text(),
		Alerts:  []Alert{a},
		AsOf:    a.AsOf,
	}
}

// NewDigest renders several alerts as one message.
func NewDigest(channel, from, to string, asOf time.Time, alerts []Alert) Message {
	keys := make([]string, len(alerts))
	for i, a := range alerts {
		keys[i] = Key(channel, a.ContactEmail, asOf)
	}
	return Message{
		Key:     DigestKey(channel, asOf, keys),
		From:    from,
		To:      to,
		Subject: DigestSubject(len(alerts), asOf),
		Text:    DigestText(alerts, asOf),
		Alerts:  alerts,
		Digest:  true,
		AsOf:    asOf,
	}
}
