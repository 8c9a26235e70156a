package outbound

import "testing"

func TestExcerpt(t *testing.T) {
	tests := []struct {
		name, body string
		n          int
		want       string
	}{
		{"plain text", "  error code: 1020\n", 200, "error code: 1020"},
		{"json", `{"error": "Invalid API key"}`, 200, `{"error": "Invalid API key"}`},
		{"html title", "<!DOCTYPE html><html><head><title>Access denied | api.zerobounce.net used Cloudflare</title></head><body>...</body></html>", 200,
			"HTML page: Access denied | api.zerobounce.net used Cloudflare"},
		{"html without title", "<html><body><h1>520</h1>\n<p>Web server is returning an &amp; unknown error</p><script>x()</script></body></html>", 200,
			"HTML page: 520 Web server is returning an & unknown error"},
		{"cut", "abcdefghij", 5, "abcd…"},
		{"empty", "", 10, ""},
	}
	for _, tt := range tests {
		if got := Excerpt([]byte(tt.body), tt.n); got != tt.want {
			t.Errorf("%s: Excerpt(%q) = %q, want %q", tt.name, tt.body, got, tt.want)
		}
	}
}
