// Package demodata generates a fictitious CRM export: a DuckDB file with
// exactly the schema of the real dlt-loaded export (schema crm: column names,
// order, types and NOT NULL constraints), for demos, tests and benchmarks of
// up to a few million companies.
//
// All rows are generated inside DuckDB with set-based SQL (the embedded
// sql/*.sql files run in order on one connection). Every pseudo-random value
// is derived from hash(seed, row, salt), never random(), so the same Options
// give the same data, row order included, whatever the thread scheduling.
// (The hash is DuckDB's: another DuckDB version may give other data.)
//
// The data deliberately carries the export's mess: news URLs in every form
// (http/https, with and without www., upper case, a path, a query, a port, a
// trailing slash, surrounding white space), mixed-case addresses, malformed
// contact addresses (no '@', '@@', a trailing dot), role and disposable
// addresses, contacts with a NULL or empty email, visitors who are not
// contacts, news about domains outside the CRM and events after the as-of
// date. As of Options.AsOf, with the job's rules (HIGH: a visit and a news
// item in the 7 days ending on AsOf; MEDIUM: a news item in the last 30;
// LOW: otherwise) the tiers come out at 5% HIGH, 35% MEDIUM and 60% LOW,
// with cases on every window edge and future events that would change a
// tier if counted; some HIGH companies have well-formed contacts who were
// emailed by the team in the last 14 days and some have not.
//
// Name the file anything but crm.duckdb: DuckDB names the database after the
// file, and a database "crm" makes references to the schema crm ambiguous.
package demodata

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// Options says how much to generate. Zero values take defaults.
type Options struct {
	// Companies is the number of companies (default 100).
	Companies int
	// Contacts, News, Visits and Outreach are row counts; 0 means
	// proportional to Companies as in the real export (per 100 companies:
	// 152 contacts, 10,000 news, 600 visits, 453 outreach emails).
	Contacts, News, Visits, Outreach int
	// Seed makes the output deterministic: the same Options give the same data.
	Seed int64
	// AsOf is the date the activity is centred on (default 2024-04-30).
	// Only its calendar date (in its own location) is used.
	AsOf time.Time
}

// Stats counts the rows written per table.
type Stats struct {
	Companies, Contacts, News, Visits, Outreach int64
}

// DefaultAsOf is the as-of date of the real export's reference segmentation.
var DefaultAsOf = time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)

// Shares of the real export used for the proportional defaults.
const (
	contactsPer100 = 152
	newsPer100     = 10000
	visitsPer100   = 600
	outreachPer100 = 453
	newsCRMShare   = 0.2442 // news rows about a CRM company
	visitsCRMShare = 0.165  // visits from a CRM company's domain

	// MaxCompanies is what the domain space allows: every company and the
	// three times as many outside domains need distinct domain names.
	MaxCompanies = 4_000_000
	domainSpace  = 16_080_400 // see the domain macros in sql/setup.sql
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// steps run in order on one connection; only params.sql takes arguments.
var steps = []string{
	"sql/setup.sql",
	"sql/params.sql",
	"sql/model.sql",
	"sql/schema.sql",
	"sql/companies.sql",
	"sql/news.sql",
	"sql/visits.sql",
	"sql/outreach.sql",
	"sql/dlt.sql",
}

// Generate writes a new DuckDB file at path. The path must not exist (the
// error then wraps os.ErrExist). The file is written under a temporary name
// in the same directory and moved into place only when complete, so a
// failure or a cancelled ctx never leaves a partial file at path.
func Generate(ctx context.Context, path string, opt Options) (Stats, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	if _, err := os.Lstat(path); err == nil {
		return Stats{}, fmt.Errorf("demodata: %s: %w", path, os.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Stats{}, fmt.Errorf("demodata: %w", err)
	}

	dir := filepath.Dir(path)
	// The temporary name must not make DuckDB call the database "crm" (as a
	// file crm.duckdb would): the catalog would clash with the schema.
	f, err := os.CreateTemp(dir, ".demodata-*.tmp")
	if err != nil {
		return Stats{}, fmt.Errorf("demodata: %w", err)
	}
	tmp := f.Name()
	// DuckDB wants to create the file itself; the name stays ours.
	if err := errors.Join(f.Close(), os.Remove(tmp)); err != nil {
		return Stats{}, fmt.Errorf("demodata: %w", err)
	}
	cleanup := func() {
		for _, p := range []string{tmp, tmp + ".wal", tmp + ".tmp"} {
			_ = os.RemoveAll(p)
		}
	}

	st, err := generate(ctx, tmp, o)
	if err != nil {
		cleanup()
		return Stats{}, err
	}
	if err := publish(tmp, path); err != nil {
		cleanup()
		return Stats{}, err
	}
	return st, nil
}

// publish moves the finished file to path without replacing anything there.
func publish(tmp, path string) error {
	err := os.Link(tmp, path)
	switch {
	case err == nil:
		return os.Remove(tmp)
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("demodata: %s: %w", path, os.ErrExist)
	}
	// No hard links here (some file systems): check, then rename.
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("demodata: %s: %w", path, os.ErrExist)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("demodata: %w", err)
	}
	return nil
}

func generate(ctx context.Context, file string, o Options) (st Stats, err error) {
	db, err := sql.Open("duckdb", file)
	if err != nil {
		return Stats{}, fmt.Errorf("demodata: open %s: %w", file, err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("demodata: close: %w", cerr)
		}
	}()
	conn, err := db.Conn(ctx) // temp tables and macros live on one connection
	if err != nil {
		return Stats{}, fmt.Errorf("demodata: %w", err)
	}
	defer conn.Close()

	args := o.params()
	for _, name := range steps {
		text, err := sqlFiles.ReadFile(name)
		if err != nil {
			return Stats{}, fmt.Errorf("demodata: %w", err)
		}
		var a []any
		if name == "sql/params.sql" {
			a = args
		}
		if _, err := conn.ExecContext(ctx, string(text), a...); err != nil {
			return Stats{}, fmt.Errorf("demodata: %s: %w", filepath.Base(name), err)
		}
	}
	err = conn.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM crm.companies),
		(SELECT count(*) FROM crm.contacts),
		(SELECT count(*) FROM crm.news_publications),
		(SELECT count(*) FROM crm.website_visits),
		(SELECT count(*) FROM crm.outreach_emails)`).Scan(
		&st.Companies, &st.Contacts, &st.News, &st.Visits, &st.Outreach)
	if err != nil {
		return Stats{}, fmt.Errorf("demodata: count rows: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return Stats{}, fmt.Errorf("demodata: checkpoint: %w", err)
	}
	return st, nil
}

// withDefaults fills in zero values and rejects impossible ones.
func (o Options) withDefaults() (Options, error) {
	if o.Companies < 0 || o.Contacts < 0 || o.News < 0 || o.Visits < 0 || o.Outreach < 0 {
		return o, fmt.Errorf("demodata: negative count in %+v", o)
	}
	if o.Companies == 0 {
		o.Companies = 100
	}
	if o.Companies > MaxCompanies {
		return o, fmt.Errorf("demodata: %d companies, at most %d", o.Companies, MaxCompanies)
	}
	prop := func(v, per100 int) int {
		if v != 0 {
			return v
		}
		return int(math.Round(float64(o.Companies) * float64(per100) / 100))
	}
	o.Contacts = prop(o.Contacts, contactsPer100)
	o.News = prop(o.News, newsPer100)
	o.Visits = prop(o.Visits, visitsPer100)
	o.Outreach = prop(o.Outreach, outreachPer100)
	if o.AsOf.IsZero() {
		o.AsOf = DefaultAsOf
	}
	y, m, d := o.AsOf.Date()
	o.AsOf = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return o, nil
}

// params are the arguments of params.sql, in order.
func (o Options) params() []any {
	n := int64(o.Companies)
	// Domain pool: slots [0, n) are the companies, the rest are domains
	// outside the CRM; a multiplier coprime with the pool size makes the
	// slot -> domain number map a bijection, so no two domains collide.
	domM := n + max(700, 3*n) // <= domainSpace for n <= MaxCompanies
	// The export's load came a week after the reference as-of date.
	loaded := o.AsOf.AddDate(0, 0, 7).Add(10*time.Hour + 35*time.Minute + 25*time.Second + 699438*time.Microsecond)
	loadID := fmt.Sprintf("%d.%06d", loaded.Unix(), loaded.Nanosecond()/1000)
	return []any{
		o.Seed,
		o.AsOf,
		n,
		int64(o.Contacts),
		int64(o.News),
		int64(o.Visits),
		int64(o.Outreach),
		int64(math.Round(float64(o.News) * newsCRMShare)),
		int64(math.Round(float64(o.Visits) * visitsCRMShare)),
		domM,
		coprimeNear(domM, 0.6180339887),
		coprimeNear(n, 0.6180339887),
		loadID,
		loaded,
	}
}

// coprimeNear returns the first number from frac*m upwards that is coprime
// with m (1 for m <= 2).
func coprimeNear(m int64, frac float64) int64 {
	if m <= 2 {
		return 1
	}
	for a := max(int64(float64(m)*frac), 1); ; a++ {
		if gcd(a, m) == 1 {
			return a
		}
	}
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
