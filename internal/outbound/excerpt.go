package outbound

import (
	"html"
	"regexp"
	"strings"
)

var (
	htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	htmlNoise = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
)

// Excerpt turns a response body into a short one-line text for an error
// message: an HTML page (a firewall or proxy error page) becomes its title,
// or its text without tags; white space is collapsed and the result cut to
// n runes. Callers still Scrub it of secrets.
func Excerpt(body []byte, n int) string {
	s := strings.TrimSpace(string(body))
	if looksLikeHTML(s) {
		if m := htmlTitle.FindStringSubmatch(s); m != nil && strings.TrimSpace(m[1]) != "" {
			s = "HTML page: " + m[1]
		} else {
			s = "HTML page: " + htmlNoise.ReplaceAllString(s, " ")
		}
		s = html.UnescapeString(s)
	}
	return Truncate(strings.Join(strings.Fields(s), " "), n)
}

func looksLikeHTML(s string) bool {
	head := strings.ToLower(s[:min(len(s), 512)])
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html") ||
		strings.Contains(head, "<head") || strings.Contains(head, "<body")
}
