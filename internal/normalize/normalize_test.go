package normalize

import "testing"

func TestHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://www.castillo.biz", "castillo.biz"},
		{"https://www.hall-powell.com", "hall-powell.com"},
		{"http://pope.com", "pope.com"},
		{"https://pope.com", "pope.com"},
		{"pope.com", "pope.com"},
		{"www.pope.com", "pope.com"},
		{"HTTPS://WWW.Pope.COM", "pope.com"},
		{"  https://pope.com/  ", "pope.com"},
		{"\thttp://pope.com\n", "pope.com"},
		{"https://pope.com:8443/news?id=1#top", "pope.com"},
		{"pope.com:80", "pope.com"},
		{"pope.com/path/to", "pope.com"},
		{"pope.com?x=1", "pope.com"},
		{"pope.com#frag", "pope.com"},
		{"https://user:secret@www.pope.com:8080/x", "pope.com"},
		{"https://a@b@pope.com", "pope.com"},
		{"https://pope.com./", "pope.com"},
		{"ftp://files.pope.com", "files.pope.com"},
		{"https://news.pope.com", "news.pope.com"},
		{"https://www.www.pope.com", "pope.com"},
		{"https://wwwpope.com", "wwwpope.com"},
		{"https://pope.com.au", "pope.com.au"},
		{"", ""},
		{"   ", ""},
		{"https://", ""},
		{"mailto:info@pope.com", "pope.com"},
	}
	for _, tt := range tests {
		if got := Host(tt.in); got != tt.want {
			t.Errorf("Host(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmailDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"justin.phillips@lawson.com", "lawson.com"},
		{"Justin.Phillips@Lawson.COM", "lawson.com"},
		{" a@lawson.com ", "lawson.com"},
		{"a@b@lawson.com", "lawson.com"},
		{"no-at-sign.com", ""},
		{"a@", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EmailDomain(tt.in); got != tt.want {
			t.Errorf("EmailDomain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmailAndDomain(t *testing.T) {
	if got := Email("  White.White@Cummings.NET\n"); got != "white.white@cummings.net" {
		t.Errorf("Email = %q", got)
	}
	if got := Domain(" Joyce.COM "); got != "joyce.com" {
		t.Errorf("Domain = %q", got)
	}
}

func FuzzHost(f *testing.F) {
	for _, s := range []string{"http://www.a.com", "https://u:p@www.A.com:80/x?y#z", " a.com ", "www.", "::", "@@", "a://b://c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := Host(s)
		if again := Host(h); again != h {
			t.Errorf("Host not idempotent: Host(%q) = %q, Host(%q) = %q", s, h, h, again)
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"a@b.com", " A@B.COM ", "@", "a@b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := Email(s)
		if Email(e) != e {
			t.Errorf("Email not idempotent on %q", s)
		}
		d := EmailDomain(s)
		if EmailDomain("x@"+d) != d {
			t.Errorf("EmailDomain(%q) = %q is not stable", s, d)
		}
	})
}
