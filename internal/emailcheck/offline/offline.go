// Package offline checks addresses without any provider: the syntax within
// RFC 5321 and 5322 limits, embedded lists of disposable domains and role
// mailboxes, and optionally the domain's mail exchangers in DNS. It spends
// nothing and is the demo's default.
package offline

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the provider's name.
const Name = "offline"

// MaxBatch is how many addresses one Check takes.
const MaxBatch = 500

// lookups bounds the DNS lookups in flight in one Check.
const lookups = 8

var (
	//go:embed disposable_domains.txt
	disposableList string
	//go:embed role_accounts.txt
	roleList string
)

// Sub-statuses of the offline checker.
const (
	SubSyntaxOnly  = "syntax_only"          // well-formed, not disposable, not a role; no DNS asked
	SubMXFound     = "mx_found"             // the domain has mail exchangers
	SubImplicitMX  = "implicit_mx"          // no MX record, but an address (RFC 5321 5.1)
	SubNoDNS       = "no_dns_entries"       // the domain does not exist or has nothing
	SubNullMX      = "does_not_accept_mail" // a null MX (RFC 7505)
	SubUnreachable = "dns_unreachable"      // DNS could not be asked: retried next run
	SubDisposable  = "disposable"
	SubRoleBased   = "role_based"
)

// Checker is the offline checker.
type Checker struct {
	mx         bool
	resolver   Resolver
	timeout    time.Duration
	now        func() time.Time
	disposable map[string]bool
	roles      map[string]bool

	mu      sync.Mutex
	domains map[string]dnsAnswer // definite answers, per domain
}

// dnsAnswer is what DNS said about a domain.
type dnsAnswer struct {
	verdict emailcheck.Verdict
	sub     string
	hosts   []string
	err     string
}

// New returns an offline checker for cfg.
func New(cfg Config) (*Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Checker{
		mx:         cfg.MX,
		resolver:   cfg.Resolver,
		timeout:    cfg.LookupTimeout,
		now:        cfg.Now,
		disposable: list(disposableList),
		roles:      list(roleList),
		domains:    map[string]dnsAnswer{},
	}
	if c.resolver == nil {
		c.resolver = &net.Resolver{}
	}
	if c.timeout == 0 {
		c.timeout = DefaultLookupTimeout
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

func list(text string) map[string]bool {
	out := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.ToLower(strings.TrimSpace(sc.Text()))
		if line != "" && !strings.HasPrefix(line, "#") {
			out[line] = true
		}
	}
	return out
}

// Name implements emailcheck.Checker.
func (c *Checker) Name() string { return Name }

// MaxBatch implements emailcheck.Checker.
func (c *Checker) MaxBatch() int { return MaxBatch }

// Disposable reports whether domain, or a domain it is under, is listed as
// disposable.
func (c *Checker) Disposable(domain string) bool {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	for {
		if c.disposable[d] {
			return true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return false
		}
		d = d[i+1:]
	}
}

// Role reports whether the local part names a role mailbox (info@,
// sales@), ignoring a "+tag".
func (c *Checker) Role(local string) bool {
	l, _, _ := strings.Cut(strings.ToLower(local), "+")
	return c.roles[l]
}

// Check implements emailcheck.Checker. It fails only when ctx ends.
func (c *Checker) Check(ctx context.Context, emails []string) ([]emailcheck.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, outbound.TransportError(ctx, err)
	}
	now := c.now().UTC()
	send, results := emailcheck.SplitMalformed(emails, Name, now)
	var dns map[string]dnsAnswer
	if c.mx {
		var err error
		if dns, err = c.resolve(ctx, send); err != nil {
			return nil, err
		}
	}
	for _, e := range send {
		results = append(results, c.check(e, now, dns))
	}
	return results, nil
}

type raw struct {
	Syntax     bool     `json:"syntax"`
	Disposable bool     `json:"disposable"`
	Role       bool     `json:"role"`
	MX         []string `json:"mx,omitempty"`
	DNSError   string   `json:"dns_error,omitempty"`
}

// check answers one well-formed address; dns is nil without MX lookups.
func (c *Checker) check(email string, now time.Time, dns map[string]dnsAnswer) emailcheck.Result {
	at := strings.LastIndexByte(email, '@')
	local, domain := email[:at], email[at+1:]
	r := raw{Syntax: true, Disposable: c.Disposable(domain), Role: c.Role(local)}
	verdict, sub := emailcheck.Valid, SubSyntaxOnly
	switch {
	case r.Disposable:
		verdict, sub = emailcheck.DoNotMail, SubDisposable
	case r.Role:
		verdict, sub = emailcheck.DoNotMail, SubRoleBased
	}
	if a, ok := dns[domain]; ok {
		r.MX, r.DNSError = a.hosts, a.err
		// A domain that cannot receive mail is invalid, whatever the
		// lists say; otherwise the lists come first, then DNS.
		if a.verdict == emailcheck.Invalid || verdict == emailcheck.Valid {
			verdict, sub = a.verdict, a.sub
		}
	}
	b, _ := json.Marshal(r)
	return emailcheck.Result{Email: email, Verdict: verdict, SubStatus: sub, Provider: Name, CheckedAt: now, Raw: b}
}

// resolve returns what DNS says about the domains of emails: known
// answers from earlier calls, the others looked up a few at a time.
// Answers DNS could not give are not kept, so a later call asks again.
func (c *Checker) resolve(ctx context.Context, emails []string) (map[string]dnsAnswer, error) {
	answers := map[string]dnsAnswer{}
	var todo []string
	c.mu.Lock()
	for _, e := range emails {
		d := e[strings.LastIndexByte(e, '@')+1:]
		if _, done := answers[d]; done || slices.Contains(todo, d) {
			continue
		}
		if a, ok := c.domains[d]; ok {
			answers[d] = a
			continue
		}
		todo = append(todo, d)
	}
	c.mu.Unlock()
	fresh := make([]dnsAnswer, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(lookups)
	for i, d := range todo {
		g.Go(func() error {
			fresh[i] = c.lookup(gctx, d)
			return nil
		})
	}
	g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, outbound.TransportError(ctx, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, d := range todo {
		answers[d] = fresh[i]
		if fresh[i].sub != SubUnreachable {
			c.domains[d] = fresh[i]
		}
	}
	return answers, nil
}

// lookup asks DNS for the mail exchangers of domain, falling back on its
// addresses (RFC 5321 5.1).
func (c *Checker) lookup(ctx context.Context, domain string) dnsAnswer {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	mxs, err := c.resolver.LookupMX(ctx, domain)
	if err == nil && len(mxs) > 0 {
		if len(mxs) == 1 && (mxs[0].Host == "." || mxs[0].Host == "") {
			return dnsAnswer{verdict: emailcheck.Invalid, sub: SubNullMX, hosts: []string{"."}}
		}
		hosts := make([]string, 0, len(mxs))
		for _, mx := range mxs {
			hosts = append(hosts, strings.TrimSuffix(mx.Host, "."))
		}
		return dnsAnswer{verdict: emailcheck.Valid, sub: SubMXFound, hosts: hosts}
	}
	if err != nil && !notFound(err) {
		return unreachable(err)
	}
	addrs, err := c.resolver.LookupHost(ctx, domain)
	switch {
	case err == nil && len(addrs) > 0:
		return dnsAnswer{verdict: emailcheck.Valid, sub: SubImplicitMX}
	case err == nil || notFound(err):
		return dnsAnswer{verdict: emailcheck.Invalid, sub: SubNoDNS}
	}
	return unreachable(err)
}

func notFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}

func unreachable(err error) dnsAnswer {
	msg := err.Error()
	var de *net.DNSError
	if errors.As(err, &de) {
		msg = de.Err
		if de.IsTimeout {
			msg = "timeout"
		}
	}
	return dnsAnswer{verdict: emailcheck.Unknown, sub: SubUnreachable, err: msg}
}
