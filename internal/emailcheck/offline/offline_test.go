package offline_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/emailcheck/offline"
	"github.com/intentalert/intentalert/internal/outbound"
)

var _ emailcheck.Checker = (*offline.Checker)(nil)

func newChecker(t *testing.T, cfg offline.Config) *offline.Checker {
	t.Helper()
	c, err := offline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformance(t *testing.T) {
	emailchecktest.Run(t, emailchecktest.Provider{
		Name: offline.Name,
		New: func(t *testing.T, _ string) emailcheck.Checker {
			return newChecker(t, offline.Config{})
		},
	})
}

func TestConformanceWithMX(t *testing.T) {
	emailchecktest.Run(t, emailchecktest.Provider{
		Name: offline.Name,
		New: func(t *testing.T, _ string) emailcheck.Checker {
			return newChecker(t, offline.Config{MX: true, Resolver: &resolver{mx: map[string][]*net.MX{
				"example.com": {{Host: "mx.example.com.", Pref: 10}}, "example.org": {{Host: "mx.example.org.", Pref: 10}},
			}}})
		},
	})
}

func checkOne(t *testing.T, c *offline.Checker, email string) emailcheck.Result {
	t.Helper()
	res, err := c.Check(context.Background(), []string{email})
	if err != nil || len(res) != 1 {
		t.Fatalf("Check(%s) = %v, %v", email, res, err)
	}
	return res[0]
}

func TestListsAndSyntax(t *testing.T) {
	tests := []struct {
		email   string
		verdict emailcheck.Verdict
		sub     string
	}{
		{"holloway.holloway@crawford.com", emailcheck.Valid, offline.SubSyntaxOnly},
		{"buck.buck@mailinator.com", emailcheck.DoNotMail, offline.SubDisposable},
		{"x@guerrillamail.com", emailcheck.DoNotMail, offline.SubDisposable},
		{"x@yopmail.com", emailcheck.DoNotMail, offline.SubDisposable},
		{"x@10minutemail.com", emailcheck.DoNotMail, offline.SubDisposable},
		{"x@eu.mailinator.com", emailcheck.DoNotMail, offline.SubDisposable},
		{"x@notmailinator.com", emailcheck.Valid, offline.SubSyntaxOnly},
		{"info@crawford.com", emailcheck.DoNotMail, offline.SubRoleBased},
		{"sales@crawford.com", emailcheck.DoNotMail, offline.SubRoleBased},
		{"sales+eu@crawford.com", emailcheck.DoNotMail, offline.SubRoleBased},
		{"salesperson@crawford.com", emailcheck.Valid, offline.SubSyntaxOnly},
		{"buck.buck.malone.com", emailcheck.Invalid, emailcheck.SubStatusSyntax},
		{"buck.buck@@malone.com", emailcheck.Invalid, emailcheck.SubStatusSyntax},
		{"buck.buck@malone.com.", emailcheck.Invalid, emailcheck.SubStatusSyntax},
	}
	c := newChecker(t, offline.Config{})
	for _, tt := range tests {
		r := checkOne(t, c, tt.email)
		if r.Verdict != tt.verdict || r.SubStatus != tt.sub || r.Credits != 0 {
			t.Errorf("%s: got %s/%s costing %d, want %s/%s, free", tt.email, r.Verdict, r.SubStatus, r.Credits, tt.verdict, tt.sub)
		}
	}
}

// resolver is a fake DNS: mx and hosts answer, notFound domains do not
// exist, broken domains fail as if DNS were unreachable. It counts lookups.
type resolver struct {
	mu       sync.Mutex
	mx       map[string][]*net.MX
	hosts    map[string][]string
	broken   map[string]bool
	hang     bool
	mxCalls  map[string]int
	hostCall map[string]int
}

func (r *resolver) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	r.mu.Lock()
	if r.mxCalls == nil {
		r.mxCalls, r.hostCall = map[string]int{}, map[string]int{}
	}
	r.mxCalls[name]++
	r.mu.Unlock()
	if r.hang {
		<-ctx.Done()
		return nil, &net.DNSError{Err: "i/o timeout", Name: name, IsTimeout: true}
	}
	if r.broken[name] {
		return nil, &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	if mx, ok := r.mx[name]; ok {
		return mx, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (r *resolver) LookupHost(_ context.Context, host string) ([]string, error) {
	r.mu.Lock()
	r.hostCall[host]++
	r.mu.Unlock()
	if h, ok := r.hosts[host]; ok {
		return h, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestMX(t *testing.T) {
	res := &resolver{
		mx: map[string][]*net.MX{
			"crawford.com": {{Host: "mx1.crawford.com.", Pref: 10}, {Host: "mx2.crawford.com.", Pref: 20}},
			"nullmx.com":   {{Host: ".", Pref: 0}},
		},
		hosts:  map[string][]string{"aonly.com": {"192.0.2.1"}},
		broken: map[string]bool{"flaky.com": true, "mailinator.com": true},
	}
	tests := []struct {
		email   string
		verdict emailcheck.Verdict
		sub     string
	}{
		{"holloway@crawford.com", emailcheck.Valid, offline.SubMXFound},
		{"info@crawford.com", emailcheck.DoNotMail, offline.SubRoleBased},
		{"x@nullmx.com", emailcheck.Invalid, offline.SubNullMX},
		{"x@aonly.com", emailcheck.Valid, offline.SubImplicitMX},
		{"x@nowhere.com", emailcheck.Invalid, offline.SubNoDNS},
		{"info@nowhere.com", emailcheck.Invalid, offline.SubNoDNS},
		{"x@flaky.com", emailcheck.Unknown, offline.SubUnreachable},
		{"x@mailinator.com", emailcheck.DoNotMail, offline.SubDisposable},
	}
	c := newChecker(t, offline.Config{MX: true, Resolver: res})
	var emails []string
	for _, tt := range tests {
		emails = append(emails, tt.email)
	}
	for round := range 2 {
		got, err := c.Check(context.Background(), emails)
		if err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			if r := got[i]; r.Email != tt.email || r.Verdict != tt.verdict || r.SubStatus != tt.sub {
				t.Errorf("round %d, %s: got %s/%s, want %s/%s", round, tt.email, r.Verdict, r.SubStatus, tt.verdict, tt.sub)
			}
		}
	}
	if r := checkOne(t, c, "holloway@crawford.com"); !strings.Contains(string(r.Raw), "mx1.crawford.com") {
		t.Errorf("Raw = %s, want the MX hosts", r.Raw)
	}
	// One lookup per domain for definite answers; an unreachable DNS is
	// asked again.
	if n := res.mxCalls["crawford.com"]; n != 1 {
		t.Errorf("crawford.com looked up %d times, want once", n)
	}
	if n := res.mxCalls["flaky.com"]; n != 2 {
		t.Errorf("flaky.com (DNS unreachable) looked up %d times, want once per Check", n)
	}
}

func TestDNSTimeoutIsUnknown(t *testing.T) {
	c := newChecker(t, offline.Config{MX: true, Resolver: &resolver{hang: true}, LookupTimeout: 50 * time.Millisecond})
	r := checkOne(t, c, "x@slow.com")
	if r.Verdict != emailcheck.Unknown || r.SubStatus != offline.SubUnreachable || !strings.Contains(string(r.Raw), "timeout") {
		t.Errorf("DNS timeout: %+v, want unknown/%s", r, offline.SubUnreachable)
	}
}

func TestCancelledDuringLookups(t *testing.T) {
	c := newChecker(t, offline.Config{MX: true, Resolver: &resolver{hang: true}, LookupTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Check(ctx, []string{"x@slow.com"})
	if !errors.Is(err, context.Canceled) || outbound.Retryable(err) {
		t.Errorf("Check cancelled during DNS lookups = %v, want context.Canceled", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := offline.New(offline.Config{LookupTimeout: -time.Second}); err == nil {
		t.Errorf("negative timeout accepted")
	}
}
