package emailcheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/atomicfile"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/normalize"
	"github.com/intentalert/intentalert/internal/outbound"
	"github.com/intentalert/intentalert/internal/store"
)

// Defaults of Options.
const (
	DefaultMaxAge      = 30 * 24 * time.Hour
	DefaultConcurrency = 4
	// DefaultTimeout bounds one attempt: ZeroBounce documents batch answers
	// taking up to 70 seconds.
	DefaultTimeout = 90 * time.Second
)

// DefaultSegments are the tiers whose contacts are checked by default.
var DefaultSegments = []string{"HIGH"}

// Options tune Verify. The zero value of every field but Checker is a
// sensible default.
type Options struct {
	Checker Checker
	// Segments are the buying-intent tiers whose contacts are checked
	// (default HIGH).
	Segments []string
	// MaxAge is how long a check stays good: an address checked more
	// recently by the same provider is not sent again (default 30 days).
	MaxAge time.Duration
	// Refresh sends every address again, whatever the cache holds.
	Refresh bool
	// Accept lists the verdicts written back as valid besides Valid
	// (only CatchAll makes sense).
	Accept []Verdict
	// Budget caps the addresses sent to the provider in this run, so the
	// credits spent (at most one per address) never exceed it. 0: no cap.
	Budget int
	// AllowPartial lets a run start when the provider's credits cannot
	// cover it: it checks as many addresses as the credits allow.
	AllowPartial bool
	// Concurrency is the number of requests in flight (default 4).
	Concurrency int
	// Timeout bounds one attempt (default DefaultTimeout).
	Timeout time.Duration
	// Backoff is the retry policy (default outbound.DefaultBackoff).
	Backoff outbound.Backoff
	// DataDir receives valid_emails.csv; "" writes no file.
	DataDir string
	// Details fills Summary.Addresses.
	Details bool

	Now      func() time.Time                                 // default time.Now
	Sleep    func(ctx context.Context, d time.Duration) error // default outbound.Sleep
	Log      *slog.Logger                                     // default: discard
	Progress func(done, total int)                            // called as checks are recorded
}

// Summary is what a run did. Counts are of distinct in-scope addresses
// unless said otherwise.
type Summary struct {
	Provider  string   `json:"provider"`
	Segments  []string `json:"segments"`
	Contacts  int      `json:"contacts"`  // contacts of the segments' companies
	InScope   int      `json:"in_scope"`  // distinct addresses among them
	Skipped   int      `json:"skipped"`   // contacts without an address (NULL or blank)
	Cached    int      `json:"cached"`    // answered from a check within MaxAge
	Checked   int      `json:"checked"`   // checked in this run
	Malformed int      `json:"malformed"` // of Checked: failed the syntax check, never sent
	// Unchecked needed a check this run did not make (budget, credits,
	// interruption, or absent from an imported file); the latest earlier
	// verdict, if any, is still written back.
	Unchecked  int `json:"unchecked"`
	OutOfScope int `json:"out_of_scope"` // rows of an imported file outside the scope, recorded too

	Valid     int `json:"valid"`
	Invalid   int `json:"invalid"`
	CatchAll  int `json:"catch_all"`
	Unknown   int `json:"unknown"`
	DoNotMail int `json:"do_not_mail"`

	CreditsSpent int    `json:"credits_spent"`
	Written      int    `json:"written"`       // rows of crm.valid_emails
	WrittenValid int    `json:"written_valid"` // of which is_email_valid is true
	CSV          string `json:"csv,omitempty"` // the CSV file written

	Addresses []Address `json:"addresses,omitempty"` // with Options.Details
}

// Address is the outcome for one in-scope address.
type Address struct {
	Email     string    `json:"email"`
	Verdict   Verdict   `json:"verdict,omitempty"` // "" when never checked
	SubStatus string    `json:"sub_status,omitempty"`
	Provider  string    `json:"provider,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	Cached    bool      `json:"cached"`
	// Valid is the value written to crm.valid_emails; nil: no row.
	Valid *bool `json:"is_email_valid"`
}

// Verify checks the addresses of the contacts of the companies in
// opts.Segments (from crm.customer_buying_intent: without it, an exit 3
// error says to run segment first) and writes the verdicts back.
//
// Addresses are trimmed, lower-cased and de-duplicated in SQL; contacts
// without one are skipped and counted. An address whose latest check by the
// same provider is within MaxAge, and not unknown, is not sent again unless
// Refresh is set. A malformed address is never sent: it is recorded as
// invalid. The others go to the Checker in batches of MaxBatch, through a
// pool of Concurrency workers paced by the Checker's rate limit, each batch
// retried by Backoff on retryable failures. Every answer is recorded in
// crm.email_verifications as it arrives, so an interrupted or failed run
// keeps what it paid for and a rerun never pays twice.
//
// When the Checker can tell its credits, a run it cannot finish is refused
// unless AllowPartial. A failure (a permanent provider error, retries run
// out, ctx cancelled) stops the run and returns the error with the counts so
// far; crm.valid_emails is then left as it was. On success crm.valid_emails
// is replaced, in one transaction, by one row per in-scope address with a
// verdict from this provider (true for Valid and the Accept-ed verdicts),
// then DataDir/valid_emails.csv.
func Verify(ctx context.Context, st *store.Store, opts Options) (Summary, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	v := &run{o: o, st: st, name: o.Checker.Name(), fresh: map[string]Result{}}
	v.sum = Summary{Provider: v.name, Segments: o.Segments}
	if err := v.prepare(ctx); err != nil {
		return v.sum, err
	}
	todo, err := v.plan(ctx)
	if err != nil {
		return v.sum, err
	}
	err = v.check(ctx, todo)
	v.count()
	if err != nil {
		return v.sum, v.explain(err)
	}
	return v.sum, v.writeBack(ctx)
}

func (o Options) withDefaults() (Options, error) {
	if o.Checker == nil {
		return o, errors.New("emailcheck: no checker")
	}
	if len(o.Segments) == 0 {
		o.Segments = DefaultSegments
	}
	segs := make([]string, 0, len(o.Segments))
	for _, s := range o.Segments {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s != "" && !slices.Contains(segs, s) {
			segs = append(segs, s)
		}
	}
	o.Segments = segs
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Budget < 0 {
		return o, exitcode.Usagef("--budget must be 0 (no cap) or more, got %d", o.Budget)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Backoff.Attempts == 0 {
		o.Backoff = outbound.DefaultBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = outbound.Sleep
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(int, int) {}
	}
	return o, nil
}

// run is the state of one Verify call.
type run struct {
	o    Options
	st   *store.Store
	name string
	log  *slog.Logger

	scope     []string          // in-scope addresses, sorted
	inScope   map[string]bool   // the same, as a set
	extra     []string          // addresses an imported file lists outside the scope
	latest    map[string]cached // latest earlier check of each address by this provider
	due       map[string]bool   // addresses that needed a check in this run
	cached    map[string]bool   // addresses the cache answered
	malformed map[string]bool   // addresses that failed the syntax check

	// Written only by the goroutine that runs Verify.
	fresh map[string]Result // answers of this run
	done  int
	total int

	sum Summary
}

// prepare reads the scope and the cache.
func (v *run) prepare(ctx context.Context) error {
	v.log = v.o.Log.With("provider", v.name)
	if err := requireSegmentation(ctx, v.st); err != nil {
		return err
	}
	if err := ensureTables(ctx, v.st); err != nil {
		return err
	}
	rows, err := loadScope(ctx, v.st, v.o.Segments)
	if err != nil {
		return err
	}
	v.inScope = map[string]bool{}
	for _, r := range rows {
		v.sum.Contacts += r.contacts
		if r.email == "" {
			v.sum.Skipped += r.contacts
			continue
		}
		v.scope = append(v.scope, r.email)
		v.inScope[r.email] = true
	}
	sort.Strings(v.scope)
	v.sum.InScope = len(v.scope)
	if l, ok := v.o.Checker.(Lister); ok {
		seen := map[string]bool{}
		for _, e := range l.Addresses() {
			e = normalize.Email(e)
			if e != "" && !v.inScope[e] && !seen[e] {
				seen[e] = true
				v.extra = append(v.extra, e)
			}
		}
		sort.Strings(v.extra)
	}
	v.latest, err = loadLatest(ctx, v.st, v.name)
	v.log.Debug("scope", "segments", strings.Join(v.o.Segments, ","), "contacts", v.sum.Contacts,
		"addresses", len(v.scope), "skipped", v.sum.Skipped, "listed_outside_scope", len(v.extra), "cache_rows", len(v.latest))
	return err
}

// plan decides what to send: the addresses the cache cannot answer, minus
// the malformed ones (recorded without sending), within the budget and the
// provider's credits.
func (v *run) plan(ctx context.Context) ([]string, error) {
	now := v.o.Now()
	v.due, v.cached, v.malformed = map[string]bool{}, map[string]bool{}, map[string]bool{}
	var todo []string
	var malformed []Result
	for _, e := range slices.Concat(v.scope, v.extra) {
		if c, ok := v.latest[e]; ok && !v.o.Refresh && c.verdict != Unknown && now.Sub(c.checkedAt) < v.o.MaxAge {
			v.cached[e] = true
			continue
		}
		v.due[e] = true
		if err := CheckSyntax(e); err != nil {
			v.malformed[e] = true
			malformed = append(malformed, MalformedResult(e, v.name, now, err))
			continue
		}
		todo = append(todo, e)
	}
	if v.o.Budget > 0 && len(todo) > v.o.Budget {
		v.log.Warn("budget reached: some addresses are left for a later run", "budget", v.o.Budget, "left", len(todo)-v.o.Budget)
		todo = todo[:v.o.Budget]
	}
	if cc, ok := v.o.Checker.(CreditChecker); ok && len(todo) > 0 {
		credits, err := v.credits(ctx, cc)
		if err != nil {
			return nil, err
		}
		v.log.Info("credits", "left", credits, "needed_at_most", len(todo))
		if credits < len(todo) {
			if !v.o.AllowPartial {
				return nil, fmt.Errorf("%s: %d credits left, and this run may need %d (one per address sent): buy credits, narrow --segments, cap with --budget, or pass --allow-partial to check %d now and the rest later",
					v.name, max(credits, 0), len(todo), max(credits, 0))
			}
			v.log.Warn("not enough credits: some addresses are left for a later run", "credits", credits, "left", len(todo)-max(credits, 0))
			todo = todo[:max(credits, 0)]
		}
	}
	v.total = len(todo) + len(malformed)
	v.o.Progress(0, v.total)
	// Malformed addresses cost nothing: record them now.
	if err := v.keep(ctx, malformed); err != nil {
		return nil, err
	}
	return todo, nil
}

// credits reads the provider's balance through the retry loop.
func (v *run) credits(ctx context.Context, cc CreditChecker) (int, error) {
	var credits int
	_, err := v.try(ctx, "credits", nil, func(ctx context.Context) error {
		n, err := cc.Credits(ctx)
		credits = n
		return err
	})
	if err != nil {
		return 0, v.explain(err)
	}
	return credits, nil
}

// localParts matches the local part of an address, which logs never show
// (house style: log the domain, not the address).
var localParts = regexp.MustCompile(`[^\s"'<>(),;:@]+@`)

// try runs call through the retry loop: each attempt waits for pace (when
// given), then runs bounded by Timeout; retries are logged.
func (v *run) try(ctx context.Context, what string, pace func(context.Context) error, call func(context.Context) error) (int, error) {
	var last error
	n := 0
	return v.o.Backoff.Do(ctx, v.o.Sleep, func(ctx context.Context) error {
		n++
		if last != nil {
			v.log.Warn("retrying", "call", what, "attempt", n, "error", localParts.ReplaceAllString(last.Error(), "…@"))
		}
		if pace != nil {
			if err := pace(ctx); err != nil {
				return err
			}
		}
		tctx, cancel := context.WithTimeoutCause(ctx, v.o.Timeout, fmt.Errorf("%s: no answer within %s", v.name, v.o.Timeout))
		defer cancel()
		last = call(tctx)
		return last
	})
}

// check sends todo in batches through the worker pool and records the
// answers as they arrive. It returns the first failure.
func (v *run) check(ctx context.Context, todo []string) error {
	if len(todo) == 0 {
		return nil
	}
	var pace func(context.Context) error
	if p, ok := v.o.Checker.(Pacer); ok {
		limit, burst := p.Limit()
		lim := rate.NewLimiter(limit, max(burst, 1))
		pace = func(ctx context.Context) error { return v.wait(ctx, lim) }
	}
	batches := slices.Collect(slices.Chunk(todo, max(v.o.Checker.MaxBatch(), 1)))
	work, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	jobs := make(chan []string)
	// A worker hands over each answer and waits until it is recorded
	// before it sends its next batch: a process killed at any point has
	// at most one paid answer per worker that is not in the database.
	type answer struct {
		res   []Result
		saved chan error
	}
	answers := make(chan answer)
	var wg sync.WaitGroup
	go func() {
		defer close(jobs)
		for _, b := range batches {
			select {
			case jobs <- b:
			case <-work.Done():
				return
			}
		}
	}()
	var errMu sync.Mutex
	var first error
	fail := func(err error) {
		errMu.Lock()
		if first == nil {
			first = err
		}
		errMu.Unlock()
		stop(err)
	}
	for range min(v.o.Concurrency, len(batches)) {
		wg.Go(func() {
			for b := range jobs {
				res, err := v.attempt(work, pace, b)
				if err != nil {
					fail(err)
					return
				}
				a := answer{res: res, saved: make(chan error, 1)}
				answers <- a
				if err := <-a.saved; err != nil {
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(answers) }()
	// Answers are recorded even once the run is stopping: they are paid for.
	keepCtx := context.WithoutCancel(ctx)
	for a := range answers {
		err := v.keep(keepCtx, a.res)
		if err != nil {
			fail(err)
		}
		a.saved <- err
	}
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// attempt checks one batch through the retry loop.
func (v *run) attempt(ctx context.Context, pace func(context.Context) error, batch []string) ([]Result, error) {
	var res []Result
	start := v.o.Now()
	n, err := v.try(ctx, "check", pace, func(ctx context.Context) error {
		r, err := v.o.Checker.Check(ctx, batch)
		res = r
		return err
	})
	if err != nil {
		return nil, err
	}
	v.log.Debug("checked", "batch", len(batch), "answers", len(res), "attempts", n, "elapsed", v.o.Now().Sub(start).Round(time.Millisecond))
	return res, nil
}

// wait takes a token from lim, sleeping with the injected clock.
func (v *run) wait(ctx context.Context, lim *rate.Limiter) error {
	now := v.o.Now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("rate limiter cannot grant a request")
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := v.o.Sleep(ctx, d); err != nil {
			r.CancelAt(v.o.Now())
			return err
		}
	}
	return ctx.Err()
}

// keep records answers and reports progress. It ignores answers for
// addresses that were not due or are already answered (a provider echoing
// something else).
func (v *run) keep(ctx context.Context, res []Result) error {
	at := v.o.Now().UTC()
	out := make([]Result, 0, len(res))
	seen := map[string]bool{}
	for _, r := range res {
		r.Email = normalize.Email(r.Email)
		if !v.due[r.Email] || seen[r.Email] || v.fresh[r.Email].Verdict != "" {
			continue
		}
		seen[r.Email] = true
		if r.Provider == "" {
			r.Provider = v.name
		}
		if !slices.Contains(Verdicts, r.Verdict) {
			r.SubStatus = strings.TrimPrefix(r.SubStatus+" (verdict "+string(r.Verdict)+")", " ")
			r.Verdict = Unknown
		}
		r.CheckedAt = at
		out = append(out, r)
	}
	if err := record(ctx, v.st, out); err != nil {
		return err
	}
	for _, r := range out {
		v.fresh[r.Email] = r
	}
	v.done += len(out)
	v.o.Progress(v.done, v.total)
	return nil
}

// count fills the summary's counts from the cache and this run's answers.
func (v *run) count() {
	s := &v.sum
	for e, r := range v.fresh {
		s.CreditsSpent += r.Credits
		if !v.inScope[e] {
			s.OutOfScope++
		}
	}
	for _, e := range v.scope {
		switch {
		case v.fresh[e].Verdict != "":
			s.Checked++
			if v.malformed[e] {
				s.Malformed++
			}
		case v.cached[e]:
			s.Cached++
		case v.due[e]:
			s.Unchecked++
		}
		switch v.outcome(e).Verdict {
		case Valid:
			s.Valid++
		case Invalid:
			s.Invalid++
		case CatchAll:
			s.CatchAll++
		case Unknown:
			s.Unknown++
		case DoNotMail:
			s.DoNotMail++
		}
	}
}

// outcome is the latest answer for e: this run's, else the cache's. Its
// Verdict is "" when e was never checked by this provider.
func (v *run) outcome(e string) Address {
	if r, ok := v.fresh[e]; ok {
		return Address{Email: e, Verdict: r.Verdict, SubStatus: r.SubStatus, Provider: r.Provider, CheckedAt: r.CheckedAt}
	}
	if c, ok := v.latest[e]; ok {
		return Address{Email: e, Verdict: c.verdict, SubStatus: c.subStatus, Provider: v.name, CheckedAt: c.checkedAt, Cached: true}
	}
	return Address{Email: e}
}

// writeBack replaces crm.valid_emails and writes the CSV file.
func (v *run) writeBack(ctx context.Context) error {
	accept := append([]Verdict{Valid}, v.o.Accept...)
	var emails []string
	var valid []bool
	for _, e := range v.scope {
		addr := v.outcome(e)
		if addr.Verdict != "" {
			ok := slices.Contains(accept, addr.Verdict)
			emails = append(emails, e)
			valid = append(valid, ok)
			addr.Valid = &ok
			if ok {
				v.sum.WrittenValid++
			}
		}
		if v.o.Details {
			v.sum.Addresses = append(v.sum.Addresses, addr)
		}
	}
	// The CSV's new content is written first, under a temporary name, so
	// that a full disk or a data directory that cannot be written leaves
	// crm.valid_emails as it was too; it is renamed into place once the
	// table is written.
	var pending *atomicfile.Pending
	if v.o.DataDir != "" {
		var err error
		if pending, err = prepareCSV(v.o.DataDir, emails, valid); err != nil {
			return err
		}
		defer pending.Abort()
	}
	if err := writeBack(ctx, v.st, emails, valid); err != nil {
		return err
	}
	v.sum.Written = len(emails)
	if pending == nil {
		return nil
	}
	path := filepath.Join(v.o.DataDir, CSVName)
	if err := pending.Commit(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	v.sum.CSV = path
	return nil
}

// explain turns a run's failure into the error Verify returns, saying what
// was kept.
func (v *run) explain(err error) error {
	kept := ""
	if n := len(v.fresh); n > 0 {
		kept = fmt.Sprintf(" (the %d answers of this run are recorded: run again to continue, they will not be paid for twice)", n)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: interrupted%s: %w", v.name, kept, err)
	}
	return fmt.Errorf("%w%s", err, kept)
}

// Verdicts returns the verdict counts keyed by verdict name.
func (s Summary) Verdicts() map[string]int {
	return map[string]int{
		string(Valid): s.Valid, string(Invalid): s.Invalid, string(CatchAll): s.CatchAll,
		string(Unknown): s.Unknown, string(DoNotMail): s.DoNotMail,
	}
}

// Counts returns the other counts keyed by their JSON names, for a
// pipeline step's summary.
func (s Summary) Counts() map[string]int {
	return map[string]int{
		"contacts": s.Contacts, "in_scope": s.InScope, "skipped": s.Skipped, "cached": s.Cached,
		"checked": s.Checked, "malformed": s.Malformed, "unchecked": s.Unchecked, "out_of_scope": s.OutOfScope,
		"credits_spent": s.CreditsSpent, "written": s.Written, "written_valid": s.WrittenValid,
	}
}
