package alert_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
)

func TestClean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"  Jane   Doe ", 50, "Jane Doe"},
		{"Smith\r\nBcc: x@y.z", 50, "Smith Bcc: x@y.z"},
		{"tab\there\x00nul\x1b[31m", 50, "tab here nul [31m"},
		{"line\u2028sep\u2029para", 50, "line sep para"},
		{"safe\u202egnp.exe", 50, "safegnp.exe"},
		{"bad \xff\xfe utf8", 50, "bad \ufffd utf8"},
		{"abcdefghij", 5, "abcd…"},
		{strings.Repeat("é", 100000), 10, strings.Repeat("é", 9) + "…"},
		{"", 10, ""},
	}
	for _, tt := range tests {
		got := alert.Clean(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Clean(%.40q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > tt.max {
			t.Errorf("Clean(%.40q, %d) = %q: invalid or too long", tt.in, tt.max, got)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"jane.doe@acme.com": "j***@acme.com",
		"é@acme.com":        "é***@acme.com",
		"noatsign":          "***",
		"@acme.com":         "***",
		"":                  "",
	} {
		if got := alert.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestKeyIsDeterministic(t *testing.T) {
	t.Parallel()
	k := alert.Key("webhook", "white.white@cummings.net", asOf)
	if len(k) != 32 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Fatalf("Key = %q, want 32 hex digits", k)
	}
	if alert.Key("webhook", "  White.White@Cummings.net ", asOf) != k {
		t.Errorf("the key depends on case or white space")
	}
	for _, other := range []string{
		alert.Key("slack", "white.white@cummings.net", asOf),
		alert.Key("webhook", "white@cummings.net", asOf),
		alert.Key("webhook", "white.white@cummings.net", asOf.AddDate(0, 0, 1)),
	} {
		if other == k {
			t.Errorf("two alerts share the key %s", k)
		}
	}
	if alert.DigestKey("webhook", asOf, []string{"a", "b"}) == alert.DigestKey("webhook", asOf, []string{"a"}) {
		t.Errorf("digests of different contacts share a key")
	}
}

func TestMessageNamesContactAndCompany(t *testing.T) {
	t.Parallel()
	a := alerttest.Sample()
	m := alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, a)
	if m.Subject != "HIGH buying intent: Wendy White at cummings.net" {
		t.Errorf("subject %q", m.Subject)
	}
	a.LastOutreach = nil
	a.Visit, a.News = nil, nil
	text := alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, a).Text
	for _, want := range []string{"Last outreach:  never contacted", "Latest visit:  none in the last 7 days", "As of\n  Date:  2024-04-30"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	h := alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, alerttest.Hostile())
	if strings.ContainsAny(h.Subject, "\r\n") || !utf8.ValidString(h.Text) || utf8.RuneCountInString(h.Subject) > 200 {
		t.Errorf("hostile subject %q is not one valid line", h.Subject)
	}
	for _, line := range strings.Split(h.Text, "\n") {
		if strings.HasPrefix(line, "Bcc:") || strings.HasPrefix(line, "Subject:") || strings.HasPrefix(line, "X-Injected") {
			t.Errorf("a CRM value starts a line: %q", line)
		}
	}
	d := alert.NewDigest("webhook", alert.DefaultFrom, alert.DefaultTo, asOf, []alert.Alert{alerttest.Sample(), alerttest.Hostile()})
	if d.Subject != "HIGH buying intent: 2 contacts as of 2024-04-30" || !strings.Contains(d.Text, "1. Wendy White at cummings.net") || !d.Digest {
		t.Errorf("digest %q:\n%s", d.Subject, d.Text)
	}
}
