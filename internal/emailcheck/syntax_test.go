package emailcheck

import (
	"strings"
	"testing"
)

func TestCheckSyntax(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"holloway.holloway@crawford.com", true},
		{"a@b.co", true},
		{"first.last+tag@sub.example.co.uk", true},
		{"o'brien@example.ie", true},
		{"x_y-z!#$%&'*+/=?^`{|}~@example.com", true},
		{`"john doe"@example.com`, true},
		{`"a\"b"@example.com`, true},
		{"jörg@müller.de", true},
		{"user@xn--mller-kva.de", true},
		{"user@123.example", true},
		{strings.Repeat("a", 64) + "@example.com", true},
		{"a@" + strings.Repeat("b", 63) + ".com", true},
		{"", false},
		{"plainaddress", false},
		{"@example.com", false},
		{"user@", false},
		{"user@@example.com", false},
		{"us er@example.com", false},
		{"user@exa mple.com", false},
		{".user@example.com", false},
		{"user.@example.com", false},
		{"us..er@example.com", false},
		{"user@example", false},
		{"user@example.com.", false},
		{"user@.example.com", false},
		{"user@example..com", false},
		{"user@-example.com", false},
		{"user@example-.com", false},
		{"user@exa_mple.com", false},
		{"user@example.123", false},
		{"user@[192.0.2.1]", false},
		{`"unterminated@example.com`, false},
		{`"a"b"@example.com`, false},
		{"user\t@example.com", false},
		{"user\x00@example.com", false},
		{"user(comment)@example.com", false},
		{"a,b@example.com", false},
		{strings.Repeat("a", 65) + "@example.com", false},
		{"a@" + strings.Repeat("b", 64) + ".com", false},
		{"a@" + strings.Repeat("abcdefghi.", 25) + "com", false}, // domain over 253
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 94) + "com", false}, // address over 254
		{"\xff@example.com", false},
	}
	for _, tt := range tests {
		err := CheckSyntax(tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("CheckSyntax(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
	}
}

func TestParseVerdict(t *testing.T) {
	for _, v := range Verdicts {
		if got, err := ParseVerdict(" " + strings.ToUpper(string(v)) + " "); got != v || err != nil {
			t.Errorf("ParseVerdict(%q) = %q, %v", v, got, err)
		}
	}
	if _, err := ParseVerdict("risky"); err == nil {
		t.Errorf("ParseVerdict(risky) accepted")
	}
}

func TestCheckBaseURL(t *testing.T) {
	tests := []struct {
		url, has string
	}{
		{"https://api.zerobounce.net/v2", ""},
		{"http://127.0.0.1:8080/v2", ""},
		{"api.zerobounce.net/v2", "http or https"},
		{"https://user:pw@api.zerobounce.net/v2", "no user"},
		{"https://api.zerobounce.net/v2?api_key=K3Y", "no user, query"},
		{"https://", "no host"},
		{"%zz", "not a URL"},
	}
	for _, tt := range tests {
		err := CheckBaseURL(tt.url)
		if (err == nil) != (tt.has == "") || err != nil && !strings.Contains(err.Error(), tt.has) {
			t.Errorf("CheckBaseURL(%q) = %v, want %q", tt.url, err, tt.has)
		}
		if err != nil && (strings.Contains(err.Error(), "K3Y") || strings.Contains(err.Error(), "pw")) {
			t.Errorf("CheckBaseURL(%q) repeats a secret: %v", tt.url, err)
		}
	}
}
