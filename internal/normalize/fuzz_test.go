package normalize

import (
	"strings"
	"testing"
)

// FuzzHostShape checks what Host promises for any input: a bare host, with
// no scheme, user information, port, path, query, fragment, "www." prefix
// or trailing dot left, lower-cased, trimmed, and the same host again
// behind any scheme, user information, port or path.
func FuzzHostShape(f *testing.F) {
	for _, s := range []string{
		"http://www.a.com", "https://u:p@www.A.com:80/x?y#z", " a.com ", "www.", "::", "@@", "a://b://c",
		"HTTPS://WWW.Pope.COM./", "mailto:info@pope.com", "https://a@b@pope.com", "\thttp://pope.com\n",
		"https://user:secret@www.evil.example:8443/news?q=<script>", "pope.com:80", "ftp://files.pope.com",
		"http:// www.a.com", "www.www.a.com", "https://xn--bcher-kva.example", "https://bücher.example/",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := Host(s)
		if strings.ContainsAny(h, "/?#@:") {
			t.Errorf("Host(%q) = %q still has a scheme, user, port, path, query or fragment", s, h)
		}
		if h != Trim(h) || strings.HasPrefix(h, "www.") || strings.HasSuffix(h, ".") {
			t.Errorf("Host(%q) = %q is not trimmed of white space, www. and trailing dots", s, h)
		}
		if h != strings.ToLower(h) {
			t.Errorf("Host(%q) = %q is not lower-case", s, h)
		}
		if h == "" {
			return
		}
		for _, wrapped := range []string{"https://" + h, "HTTP://user:pw@www." + h + ":8080/path?q=1#f", " " + h + "/ "} {
			if got := Host(wrapped); got != h {
				t.Errorf("Host(%q) = %q, want %q (the host of %q)", wrapped, got, h, s)
			}
		}
	})
}
