package emailcheck

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheckSyntax checks what an address CheckSyntax accepts can be handed
// to a provider or an SMTP envelope as is: valid UTF-8 within RFC 5321's
// lengths, one local part and a domain of dot-separated labels, and no
// byte that could end a command line or a header (CR, LF, NUL, other
// controls), no white space outside a quoted local part.
func FuzzCheckSyntax(f *testing.F) {
	for _, s := range []string{
		"jane.doe@acme.com", `"john doe"@acme.com`, `"a\"b"@acme.com`, "jöhn@bücher.example", "a@b.c0m",
		"a@[192.0.2.1]", "a..b@acme.com", ".a@acme.com", "a@acme", "a@-acme.com", "a@acme.123",
		"a@b.com\r\nRCPT TO:<x@y.z>", "a\x00@b.com", `"a` + "\r\n" + `"@b.com`, "eve<!here>@evil.example",
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + ".com", "a@" + strings.Repeat("b.", 130) + "com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if CheckSyntax(addr) != nil {
			return
		}
		if !utf8.ValidString(addr) || len(addr) > MaxAddress {
			t.Fatalf("CheckSyntax accepted %q: invalid UTF-8 or longer than %d octets", addr, MaxAddress)
		}
		at := strings.LastIndexByte(addr, '@')
		if at <= 0 {
			t.Fatalf("CheckSyntax accepted %q without a local part and an @", addr)
		}
		local, domain := addr[:at], addr[at+1:]
		quoted := len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"'
		if len(local) > MaxLocal || len(domain) > MaxDomain {
			t.Fatalf("CheckSyntax accepted %q: local part or domain too long", addr)
		}
		for _, r := range addr {
			if r < 0x20 || r == 0x7f || (r == ' ' || r == '\t') && !quoted {
				t.Fatalf("CheckSyntax accepted %q with control character or white space %q", addr, r)
			}
		}
		if strings.ContainsAny(domain, "@[]\"\\ ") {
			t.Fatalf("CheckSyntax accepted %q with a domain that is not dot-separated labels", addr)
		}
		labels := strings.Split(domain, ".")
		if len(labels) < 2 {
			t.Fatalf("CheckSyntax accepted %q with a single-label domain", addr)
		}
		for _, l := range labels {
			if l == "" || len(l) > MaxLabel || l[0] == '-' || l[len(l)-1] == '-' {
				t.Fatalf("CheckSyntax accepted %q with the domain label %q", addr, l)
			}
		}
		if !quoted && (strings.Contains(local, "..") || local[0] == '.' || local[len(local)-1] == '.' || strings.ContainsAny(local, "<>()[]\\,;:@\"")) {
			t.Fatalf("CheckSyntax accepted %q: the local part is not a dot-atom", addr)
		}
		// The pipeline lower-cases addresses before checking them: an
		// accepted ASCII address stays accepted.
		if isASCII(addr) {
			if err := CheckSyntax(strings.ToLower(addr)); err != nil {
				t.Fatalf("CheckSyntax accepted %q but not its lower-case form: %v", addr, err)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
