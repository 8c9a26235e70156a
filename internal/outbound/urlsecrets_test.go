package outbound

import (
	"slices"
	"testing"
)

func TestURLSecrets(t *testing.T) {
	got := URLSecrets("https://user:pa55word@webhook.site/0d3e2c1a-uuid-4b5c/x?token=abc123def&plain=hello")
	for _, want := range []string{"/0d3e2c1a-uuid-4b5c/x", "0d3e2c1a-uuid-4b5c", "pa55word", "abc123def", "token=abc123def&plain=hello"} {
		if !slices.Contains(got, want) {
			t.Errorf("URLSecrets lacks %q: %q", want, got)
		}
	}
	for _, not := range []string{"x", "hello", "webhook.site"} {
		if slices.Contains(got, not) {
			t.Errorf("URLSecrets has %q, which is no secret", not)
		}
	}
	s := Scrub("HTTP 404: no hook 0d3e2c1a-uuid-4b5c here", got...)
	if s != "HTTP 404: no hook [redacted] here" {
		t.Errorf("Scrub = %q", s)
	}
	if URLSecrets("") != nil {
		t.Errorf("URLSecrets(\"\") is not empty")
	}
}
