// Package normalize turns the CRM's free-form website URLs and email
// addresses into the keys companies are matched on. The SQL in
// internal/store/queries implements the same rules; a test keeps the two in
// step.
package normalize

import "strings"

// space is the white space trimmed from values: the same set the SQL trims.
const space = " \t\n\r\f\v"

// Trim removes leading and trailing ASCII white space.
func Trim(s string) string { return strings.Trim(s, space) }

// Host returns the host a news row's company_website points at: trimmed,
// lower-cased, without scheme, user info, "www.", port, path, query,
// fragment or trailing dots. A value with no scheme is still a host. It
// returns "" when nothing host-like remains.
//
// One pass, HostOnce, is what the SQL does; Host repeats it until nothing
// changes so that it is idempotent even on values such as "http:// www.a.com"
// that no real CRM holds. The two agree wherever one pass is enough.
func Host(raw string) string {
	// Each pass that changes the value shortens it (trimming, cutting;
	// lower-casing twice is lower-casing once), so this ends.
	s := raw
	for range len(raw) + 2 {
		next := HostOnce(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

// HostOnce is one pass of Host's rules: what the SQL queries compute.
func HostOnce(raw string) string {
	s := strings.ToLower(Trim(raw))
	if i := schemeEnd(s); i > 0 {
		s = s[i:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	for strings.HasPrefix(s, "www.") {
		s = s[len("www."):]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, ".")
}

// schemeEnd returns the length of a leading "scheme://" (RFC 3986 scheme
// characters), or 0 when s has none.
func schemeEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':' && strings.HasPrefix(s[i:], "://"):
			return i + 3
		default:
			return 0
		}
	}
	return 0
}

// Email returns the comparison key of an address: trimmed and lower-cased.
func Email(addr string) string { return strings.ToLower(Trim(addr)) }

// EmailDomain returns the lower-cased, trimmed part of addr after its last
// "@", or "" when addr has no "@".
func EmailDomain(addr string) string {
	s := strings.ToLower(addr)
	i := strings.LastIndexByte(s, '@')
	if i < 0 {
		return ""
	}
	return Trim(s[i+1:])
}

// Domain returns the comparison key of a company's domain column.
func Domain(d string) string { return strings.ToLower(Trim(d)) }
