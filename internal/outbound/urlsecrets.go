package outbound

import (
	"net/url"
	"strings"
)

// URLSecrets returns the parts of a URL that may be credentials, for
// Scrub: the URL itself, its path, query and password, and every path
// segment or query value that looks like a token (six characters or more,
// with a digit), since a server may echo one back on its own.
func URLSecrets(raw string) []string {
	if raw == "" {
		return nil
	}
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	out = append(out, u.Path, u.RawQuery)
	if p, ok := u.User.Password(); ok {
		out = append(out, p)
	}
	tokenish := func(s string) bool {
		return len(s) >= 6 && strings.ContainsAny(s, "0123456789")
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if tokenish(seg) {
			out = append(out, seg)
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if tokenish(v) {
				out = append(out, v)
			}
		}
	}
	return out
}
