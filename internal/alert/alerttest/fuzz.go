package alerttest

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/intentalert/intentalert/internal/alert"
)

// FuzzAlert builds an alert for the renderers' fuzz targets: the Sample,
// with every CRM value one of the fuzzer's strings and the optional facts
// (visit, news, outreach, duplicates) present or not as flags says.
func FuzzAlert(name, email, company, text, url string, flags uint8) alert.Alert {
	a := Sample()
	a.FirstName, a.LastName, a.ContactEmail, a.Phone = name, text, email, text
	a.CompanyID, a.Domain, a.Address = company, company, text
	a.Visit.Visitor = email
	a.News.Headline, a.News.URL = text, url
	a.LastOutreach.From, a.LastOutreach.Subject = name, text
	if flags&1 != 0 {
		a.Visit = nil
	}
	if flags&2 != 0 {
		a.News = nil
	}
	if flags&4 != 0 {
		a.LastOutreach = nil
	}
	a.Duplicates = int(flags>>3) & 3
	return a
}

// AddFuzzSeeds adds to f, for targets taking FuzzAlert's arguments, plain
// values, the Hostile ones and malformed ones.
func AddFuzzSeeds(f *testing.F) {
	f.Add("Jane", "jane@acme.com", "acme.com", "Acme raises", "https://acme.com/n", uint8(0))
	f.Add("<!channel> <b>Eve</b> & *bold*", "eve<!here>@evil.example", "evil.example\nSubject: pwned",
		"Smith\r\nBcc: victim@evil.example\r\n\r\n<script>alert(1)</script>", "https://user:pw@evil.example/?q=<script>&x=\"y\"", uint8(8))
	f.Add("\xff\xfe", "\x00", "\x1b[31m", "\u202egnp.exe\u2028x <https://evil.example|Your bank> <@U123>", "javascript:alert(1)", uint8(7))
	f.Add(strings.Repeat("é", 400), strings.Repeat("a", 300)+"@b.com", strings.Repeat("&<>", 200), strings.Repeat("long & <more> ", 400), "", uint8(31))
	f.Add("", "", "", "", "", uint8(255))
	f.Add("=?utf-8?q?Bcc:_x@y.z?=", "a@b.com", "--intentalert-boundary", ".\r\n.\r\nQUIT", "mailto:x@y.z", uint8(16))
}

// Inert reports whether s is valid UTF-8 without control characters (but
// newlines where allowed), bidirectional overrides or line separators: a
// CRM value in it cannot break a line, a header or the reading order.
func Inert(s string, newlines bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' && newlines:
		case unicode.IsControl(r), r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u2028', r == '\u2029':
			return false
		}
	}
	return true
}
