package normalize_test

import (
	"testing"

	"github.com/intentalert/intentalert/internal/normalize"
)

var benchURLs = []string{
	"https://www.Acme.com/news/2024?ref=x",
	"  HTTP://user@WWW.example.co.uk:8080/path#frag ",
	"acme-industries.io",
	"www.www.widgets.net.",
}

var benchEmails = []string{" John.Doe@Acme.COM ", "anna@example.co.uk", "bad-address", "x@y@Z.io"}

func BenchmarkHost(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		_ = normalize.Host(benchURLs[i%len(benchURLs)])
	}
}

func BenchmarkEmailDomain(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		_ = normalize.EmailDomain(benchEmails[i%len(benchEmails)])
	}
}

func BenchmarkEmail(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		_ = normalize.Email(benchEmails[i%len(benchEmails)])
	}
}
