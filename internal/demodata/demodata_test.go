package demodata

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// generate writes a demo file in a fresh temporary directory and opens it
// read-only.
func genTest(t testing.TB, opt Options) (*sql.DB, Stats, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.duckdb")
	st, err := Generate(context.Background(), path, opt)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opt, err)
	}
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, st, path
}

var (
	sharedOnce sync.Once
	sharedDB   *sql.DB
	sharedErr  error
	sharedDir  string
)

// defaultDB is one file generated with the default Options, shared by the
// tests that only read it (read-only, so they cannot disturb each other).
func defaultDB(t *testing.T) *sql.DB {
	t.Helper()
	sharedOnce.Do(func() {
		if sharedDir, sharedErr = os.MkdirTemp("", "demodata-test-"); sharedErr != nil {
			return
		}
		path := filepath.Join(sharedDir, "demo.duckdb")
		if _, sharedErr = Generate(context.Background(), path, Options{}); sharedErr != nil {
			return
		}
		sharedDB, sharedErr = sql.Open("duckdb", path+"?access_mode=read_only")
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedDB
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDB != nil {
		sharedDB.Close()
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func queryString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s string
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

func TestSchemaMatchesExport(t *testing.T) {
	db := defaultDB(t)
	want := map[string][]string{
		"companies": {"id VARCHAR YES", "address VARCHAR YES", "domain VARCHAR YES",
			"_dlt_load_id VARCHAR NO", "_dlt_id VARCHAR NO"},
		"contacts": {"company_id VARCHAR YES", "id VARCHAR YES", "first_name VARCHAR YES",
			"last_name VARCHAR YES", "email VARCHAR YES", "phone VARCHAR YES",
			"_dlt_load_id VARCHAR NO", "_dlt_id VARCHAR NO"},
		"companies__contacts": {"id VARCHAR YES", "first_name VARCHAR YES", "last_name VARCHAR YES",
			"email VARCHAR YES", "phone VARCHAR YES", "_dlt_parent_id VARCHAR NO",
			"_dlt_list_idx BIGINT NO", "_dlt_id VARCHAR NO"},
		"news_publications": {"id VARCHAR YES", "headline VARCHAR YES", "company_website VARCHAR YES",
			"publication_date_utc DATE YES", "_dlt_load_id VARCHAR NO", "_dlt_id VARCHAR NO"},
		"website_visits": {"id VARCHAR YES", "email VARCHAR YES", "event_date_utc DATE YES",
			"_dlt_load_id VARCHAR NO", "_dlt_id VARCHAR NO"},
		"outreach_emails": {"id VARCHAR YES", "to VARCHAR YES", "from VARCHAR YES", "subject VARCHAR YES",
			"sent_date_utc DATE YES", "_dlt_load_id VARCHAR NO", "_dlt_id VARCHAR NO"},
		"_dlt_loads": {"load_id VARCHAR NO", "schema_name VARCHAR YES", "status BIGINT NO",
			"inserted_at TIMESTAMP WITH TIME ZONE NO", "schema_version_hash VARCHAR YES"},
		"_dlt_version": {"version BIGINT NO", "engine_version BIGINT NO",
			"inserted_at TIMESTAMP WITH TIME ZONE NO", "schema_name VARCHAR NO",
			"version_hash VARCHAR NO", "schema VARCHAR NO"},
		"_dlt_pipeline_state": {"version BIGINT NO", "engine_version BIGINT NO",
			"pipeline_name VARCHAR NO", "state VARCHAR NO", "created_at TIMESTAMP WITH TIME ZONE NO",
			"version_hash VARCHAR YES", "_dlt_load_id VARCHAR NO", "_dlt_id VARCHAR NO"},
	}
	rows, err := db.Query(`SELECT table_schema, table_name, column_name, ordinal_position, data_type, is_nullable
		FROM information_schema.columns ORDER BY table_schema, table_name, ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var schema, table, column, typ, nullable string
		var pos int
		if err := rows.Scan(&schema, &table, &column, &pos, &typ, &nullable); err != nil {
			t.Fatal(err)
		}
		if schema != "crm" {
			t.Errorf("unexpected schema %s (table %s)", schema, table)
			continue
		}
		if pos != len(got[table])+1 {
			t.Errorf("%s.%s at position %d", table, column, pos)
		}
		got[table] = append(got[table], column+" "+typ+" "+nullable)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for table, cols := range want {
		if strings.Join(got[table], ", ") != strings.Join(cols, ", ") {
			t.Errorf("crm.%s columns:\n got  %v\n want %v", table, got[table], cols)
		}
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("unexpected table crm.%s", table)
		}
	}
}

func TestRowCounts(t *testing.T) {
	cases := []struct {
		name string
		opt  Options
		want Stats
	}{
		{"defaults", Options{Seed: 9}, Stats{100, 152, 10000, 600, 453}},
		{"proportional", Options{Companies: 250}, Stats{250, 380, 25000, 1500, 1133}},
		{"explicit", Options{Companies: 40, Contacts: 90, News: 777, Visits: 55, Outreach: 61},
			Stats{40, 90, 777, 55, 61}},
		{"few rows", Options{Companies: 30, Contacts: 10, News: 5, Visits: 3, Outreach: 2},
			Stats{30, 10, 5, 3, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, st, _ := genTest(t, tc.opt)
			if st != tc.want {
				t.Errorf("Stats = %+v, want %+v", st, tc.want)
			}
			for table, want := range map[string]int64{
				"companies": tc.want.Companies, "contacts": tc.want.Contacts,
				"companies__contacts": tc.want.Contacts, "news_publications": tc.want.News,
				"website_visits": tc.want.Visits, "outreach_emails": tc.want.Outreach,
				"_dlt_loads": 1, "_dlt_version": 1, "_dlt_pipeline_state": 1,
			} {
				if got := queryInt(t, db, "SELECT count(*) FROM crm."+table); got != want {
					t.Errorf("crm.%s has %d rows, want %d", table, got, want)
				}
			}
		})
	}
}

func TestRejectsBadOptions(t *testing.T) {
	for _, opt := range []Options{{News: -1}, {Companies: -5}, {Companies: MaxCompanies + 1}} {
		path := filepath.Join(t.TempDir(), "demo.duckdb")
		if _, err := Generate(context.Background(), path, opt); err == nil {
			t.Errorf("Generate(%+v) succeeded", opt)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Generate(%+v) left a file: %v", opt, err)
		}
	}
}

// checksums returns one digest per table over all its rows, in row order.
func checksums(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"companies", "contacts", "companies__contacts", "news_publications",
		"website_visits", "outreach_emails", "_dlt_loads", "_dlt_version", "_dlt_pipeline_state"} {
		out[table] = queryString(t, db,
			"SELECT count(*) || ':' || coalesce(md5(string_agg(x::VARCHAR, '|' ORDER BY rowid)), '') FROM crm."+table+" x")
	}
	return out
}

func TestDeterministic(t *testing.T) {
	opt := Options{Companies: 300, News: 5000, Seed: 42}
	db1, _, _ := genTest(t, opt)
	db2, _, _ := genTest(t, opt)
	a, b := checksums(t, db1), checksums(t, db2)
	for table := range a {
		if a[table] != b[table] {
			t.Errorf("crm.%s differs between two runs with the same options", table)
		}
	}

	opt.Seed = 43
	db3, _, _ := genTest(t, opt)
	c := checksums(t, db3)
	for _, table := range []string{"companies", "contacts", "news_publications", "website_visits", "outreach_emails"} {
		if a[table] == c[table] {
			t.Errorf("crm.%s is the same for seeds 42 and 43", table)
		}
	}
}

func TestRefusesExistingPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "demo.duckdb")
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(context.Background(), path, Options{})
	if !errors.Is(err, os.ErrExist) {
		t.Fatalf("Generate over an existing file: err = %v, want os.ErrExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the path", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Errorf("existing file changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want only the existing file", len(entries))
	}
}

func TestCancelledLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, filepath.Join(dir, "demo.duckdb"), Options{}); err == nil {
		t.Fatal("Generate with a cancelled context succeeded")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestFileInPlaceAndNoTempLeft(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "demo.duckdb")
	if _, err := Generate(context.Background(), path, Options{Companies: 20}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "demo.duckdb" {
		t.Errorf("directory holds %v, want only demo.duckdb", entries)
	}
}

// tierSQL segments companies as of $1 with the job's rules, normalising
// URLs and addresses the way a careful consumer would.
const tierSQL = `
WITH news AS (
    SELECT regexp_extract(lower(trim(company_website, E' \t\r\n')), '^[a-z]+://(www\.)?([^/:?#]+)', 2) AS host,
           publication_date_utc AS d
    FROM crm.news_publications
),
visits AS (
    SELECT lower(split_part(trim(email), '@', 2)) AS host, event_date_utc AS d FROM crm.website_visits
),
flags AS (
    SELECT c.id, c.domain,
        EXISTS (SELECT 1 FROM news n WHERE n.host = c.domain AND n.d > $1::DATE - 7 AND n.d <= $1::DATE) AS n7,
        EXISTS (SELECT 1 FROM news n WHERE n.host = c.domain AND n.d > $1::DATE - 30 AND n.d <= $1::DATE) AS n30,
        EXISTS (SELECT 1 FROM visits v WHERE v.host = c.domain AND v.d > $1::DATE - 7 AND v.d <= $1::DATE) AS v7
    FROM crm.companies c
)
SELECT id, domain, CASE WHEN n7 AND v7 THEN 'HIGH' WHEN n30 THEN 'MEDIUM' ELSE 'LOW' END AS tier FROM flags`

func tiers(t *testing.T, db *sql.DB, asOf time.Time) map[string]int {
	t.Helper()
	rows, err := db.Query("SELECT tier, count(*) FROM ("+tierSQL+") GROUP BY tier", asOf.Format(time.DateOnly))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var tier string
		var n int
		if err := rows.Scan(&tier, &n); err != nil {
			t.Fatal(err)
		}
		out[tier] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTiersPopulated(t *testing.T) {
	cases := []struct {
		opt        Options
		asOf       time.Time
		high, med  int // exact with the export's proportions
		companies  int
		checkExact bool
	}{
		{Options{}, DefaultAsOf, 5, 35, 100, true},
		{Options{Companies: 1000, Seed: 7, AsOf: time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)},
			time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), 50, 350, 1000, true},
		{Options{Companies: 37, Seed: -3}, DefaultAsOf, 0, 0, 37, false},
	}
	for i, tc := range cases {
		var db *sql.DB
		if i == 0 {
			db = defaultDB(t)
		} else {
			db, _, _ = genTest(t, tc.opt)
		}
		got := tiers(t, db, tc.asOf)
		t.Logf("%+v: %v", tc.opt, got)
		if got["HIGH"] == 0 || got["MEDIUM"] == 0 || got["LOW"] == 0 {
			t.Errorf("%+v: a tier is empty: %v", tc.opt, got)
		}
		if tc.checkExact && (got["HIGH"] != tc.high || got["MEDIUM"] != tc.med ||
			got["LOW"] != tc.companies-tc.high-tc.med) {
			t.Errorf("%+v: tiers %v, want %d HIGH, %d MEDIUM", tc.opt, got, tc.high, tc.med)
		}
	}
}

// Counting future rows would move companies up a tier: the generator plants
// such traps, so the tiers must differ when events after as-of are counted.
func TestFutureRowsWouldChangeTiers(t *testing.T) {
	db := defaultDB(t)
	naive := strings.NewReplacer("AND n.d <= $1::DATE", "", "AND v.d <= $1::DATE", "").Replace(tierSQL)
	var n int
	if err := db.QueryRow("SELECT count(*) FROM ("+naive+") WHERE tier <> 'LOW'", DefaultAsOf.Format(time.DateOnly)).
		Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n <= 40 {
		t.Errorf("counting future events gives %d non-LOW companies, want more than the 40 of the rules", n)
	}
}

func TestHighCompaniesHaveAlertableAndRecentlyContacted(t *testing.T) {
	db := defaultDB(t)
	q := `
WITH high AS (SELECT id FROM (` + tierSQL + `) WHERE tier = 'HIGH'),
ct AS (
    SELECT k.email,
        EXISTS (
            SELECT 1 FROM crm.outreach_emails o
            WHERE lower(trim(o."to")) = lower(trim(k.email))
              AND o.sent_date_utc > $1::DATE - 14 AND o.sent_date_utc <= $1::DATE
        ) AS recent
    FROM crm.contacts k JOIN high h ON h.id = k.company_id
    WHERE regexp_full_match(k.email, '[a-z]+\.[a-z]+@[a-z-]+\.[a-z]+')
)
SELECT count(*) FILTER (WHERE recent), count(*) FILTER (WHERE NOT recent) FROM ct`
	var recent, notRecent int
	if err := db.QueryRow(q, DefaultAsOf.Format(time.DateOnly)).Scan(&recent, &notRecent); err != nil {
		t.Fatal(err)
	}
	if recent == 0 || notRecent == 0 {
		t.Errorf("plain contacts of HIGH companies: %d emailed in the last 14 days, %d not; want both > 0",
			recent, notRecent)
	}
}

func TestExportProportions(t *testing.T) {
	db := defaultDB(t)
	crmNews := queryInt(t, db, `
		SELECT count(*) FROM crm.news_publications n JOIN crm.companies c
		ON c.domain = regexp_extract(lower(trim(n.company_website, E' \t\r\n')), '^[a-z]+://(www\.)?([^/:?#]+)', 2)`)
	if crmNews != 2442 {
		t.Errorf("%d news rows about CRM companies, want 2442 as in the export", crmNews)
	}
	crmVisits := queryInt(t, db, `
		SELECT count(*) FROM crm.website_visits v JOIN crm.companies c ON c.domain = lower(split_part(v.email, '@', 2))`)
	if crmVisits != 99 {
		t.Errorf("%d visits from CRM domains, want 99 as in the export", crmVisits)
	}
	if n := queryInt(t, db, `SELECT count(*) - count(DISTINCT domain) FROM crm.companies`); n != 0 {
		t.Errorf("%d duplicate company domains", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM crm.outreach_emails o
		WHERE NOT EXISTS (SELECT 1 FROM crm.contacts k WHERE lower(k.email) = lower(o."to"))`); n != 0 {
		t.Errorf("%d outreach emails to an address that is no contact's", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM crm.contacts k
		WHERE NOT EXISTS (SELECT 1 FROM crm.companies c WHERE c.id = k.company_id)`); n != 0 {
		t.Errorf("%d contacts of no company", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM crm.companies__contacts cc
		JOIN crm.companies c ON c._dlt_id = cc._dlt_parent_id
		JOIN crm.contacts k ON k.id = cc.id AND k.company_id = c.id AND k.email IS NOT DISTINCT FROM cc.email`); n != 152 {
		t.Errorf("%d child rows match their contact and parent, want 152", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM (
		SELECT id FROM crm.news_publications UNION ALL SELECT id FROM crm.companies
		UNION ALL SELECT id FROM crm.website_visits UNION ALL SELECT id FROM crm.outreach_emails)
		WHERE NOT regexp_full_match(id, '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}')`); n != 0 {
		t.Errorf("%d ids are not version-4 UUIDs", n)
	}
	if n := queryInt(t, db, `SELECT count(*) - count(DISTINCT _dlt_id) FROM crm.news_publications`); n != 0 {
		t.Errorf("%d duplicate _dlt_id in news", n)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM crm.news_publications
		WHERE _dlt_load_id <> (SELECT load_id FROM crm._dlt_loads)`); n != 0 {
		t.Errorf("%d news rows of another load", n)
	}
	if s := queryString(t, db, `SELECT min(publication_date_utc)::VARCHAR || ' ' || max(publication_date_utc)::VARCHAR
		FROM crm.news_publications`); s != "2021-05-01 2024-05-07" {
		t.Errorf("news dates span %s", s)
	}
}

func TestMessIsPresent(t *testing.T) {
	db := defaultDB(t)
	checks := []struct{ what, q string }{
		{"http:// URLs", `SELECT count(*) FROM crm.news_publications WHERE company_website LIKE 'http://%'`},
		{"https:// URLs", `SELECT count(*) FROM crm.news_publications WHERE company_website LIKE 'https://%'`},
		{"www. URLs", `SELECT count(*) FROM crm.news_publications WHERE company_website LIKE 'http%://www.%'`},
		{"URLs without www.", `SELECT count(*) FROM crm.news_publications
			WHERE company_website LIKE 'http%://%' AND company_website NOT LIKE 'http%://www.%'`},
		{"upper-case URLs", `SELECT count(*) FROM crm.news_publications WHERE company_website <> lower(company_website)`},
		{"URLs with a path", `SELECT count(*) FROM crm.news_publications WHERE regexp_matches(company_website, '://[^/]+/[a-z]')`},
		{"URLs with a query", `SELECT count(*) FROM crm.news_publications WHERE company_website LIKE '%?%'`},
		{"URLs with a port", `SELECT count(*) FROM crm.news_publications WHERE regexp_matches(company_website, '://[^/]+:[0-9]+')`},
		{"URLs with a trailing slash", `SELECT count(*) FROM crm.news_publications WHERE rtrim(company_website) LIKE '%/'`},
		{"URLs in white space", `SELECT count(*) FROM crm.news_publications
			WHERE company_website <> trim(company_website, E' \t\r\n')`},
		{"news outside the CRM", `SELECT count(*) FROM crm.news_publications n WHERE NOT EXISTS (
			SELECT 1 FROM crm.companies c
			WHERE c.domain = regexp_extract(lower(trim(n.company_website, E' \t\r\n')), '^[a-z]+://(www\.)?([^/:?#]+)', 2))`},
		{"future news", `SELECT count(*) FROM crm.news_publications WHERE publication_date_utc > DATE '2024-04-30'`},
		{"future visits", `SELECT count(*) FROM crm.website_visits WHERE event_date_utc > DATE '2024-04-30'`},
		{"future outreach", `SELECT count(*) FROM crm.outreach_emails WHERE sent_date_utc > DATE '2024-04-30'`},
		{"mixed-case contact emails", `SELECT count(*) FROM crm.contacts WHERE email <> lower(email)`},
		{"mixed-case visitor emails", `SELECT count(*) FROM crm.website_visits WHERE email <> lower(email)`},
		{"mixed-case outreach recipients", `SELECT count(*) FROM crm.outreach_emails WHERE "to" <> lower("to")`},
		{"visitors who are not contacts", `SELECT count(*) FROM crm.website_visits v
			WHERE NOT EXISTS (SELECT 1 FROM crm.contacts k WHERE lower(k.email) = lower(v.email))`},
		{"visitors who are contacts", `SELECT count(*) FROM crm.website_visits v
			WHERE EXISTS (SELECT 1 FROM crm.contacts k WHERE lower(k.email) = lower(v.email))`},
		{"first.last visitor addresses", `SELECT count(*) FROM crm.website_visits
			WHERE split_part(split_part(email, '@', 1), '.', 1) <> split_part(split_part(email, '@', 1), '.', 2)`},
		{"contact emails without @", `SELECT count(*) FROM crm.contacts WHERE email <> '' AND email NOT LIKE '%@%'`},
		{"contact emails with @@", `SELECT count(*) FROM crm.contacts WHERE email LIKE '%@@%'`},
		{"contact emails with a trailing dot", `SELECT count(*) FROM crm.contacts WHERE email LIKE '%.'`},
		{"role addresses", `SELECT count(*) FROM crm.contacts WHERE email LIKE 'info@%' OR email LIKE 'sales@%'`},
		{"disposable addresses", `SELECT count(*) FROM crm.contacts WHERE email LIKE '%@mailinator.com'`},
		{"NULL emails", `SELECT count(*) FROM crm.contacts WHERE email IS NULL`},
		{"empty emails", `SELECT count(*) FROM crm.contacts WHERE email = ''`},
		{"Re: subjects", `SELECT count(*) FROM crm.outreach_emails WHERE subject LIKE 'Re: %'`},
		{"first subjects", `SELECT count(*) FROM crm.outreach_emails WHERE subject NOT LIKE 'Re: %'`},
	}
	for _, c := range checks {
		if n := queryInt(t, db, c.q); n == 0 {
			t.Errorf("no %s", c.what)
		}
	}
	if n := queryInt(t, db, `SELECT count(DISTINCT "from") FROM crm.outreach_emails
		WHERE "from" LIKE '%@taktile.com'`); n < 2 {
		t.Errorf("%d team members send outreach, want a few", n)
	}
}

func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("100k companies: skipped in -short mode")
	}
	start := time.Now()
	db, st, _ := genTest(t, Options{Companies: 100_000, News: 1_000_000, Seed: 5})
	t.Logf("100k companies, %+v in %v", st, time.Since(start))
	want := Stats{100_000, 152_000, 1_000_000, 600_000, 453_000}
	if st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	got := tiers(t, db, DefaultAsOf)
	if got["HIGH"] != 5000 || got["MEDIUM"] != 35000 || got["LOW"] != 60000 {
		t.Errorf("tiers %v, want 5000 HIGH, 35000 MEDIUM, 60000 LOW", got)
	}
	if n := queryInt(t, db, `SELECT count(*) - count(DISTINCT domain) FROM crm.companies`); n != 0 {
		t.Errorf("%d duplicate company domains", n)
	}
}

func TestDomainSpaceSuffices(t *testing.T) {
	if n := int64(MaxCompanies); n+max(700, 3*n) > domainSpace {
		t.Errorf("%d companies need more than %d domains", n, domainSpace)
	}
}

func TestCoprimeNear(t *testing.T) {
	for _, m := range []int64{1, 2, 3, 10, 100, 1000, 4_000_000, 999_983} {
		a := coprimeNear(m, 0.618)
		if a < 1 || (m > 2 && gcd(a, m) != 1) {
			t.Errorf("coprimeNear(%d) = %d", m, a)
		}
	}
}

// BenchmarkGenerate1M writes the full-size file of the brief: 1,000,000
// companies, 30,000,000 news, 6,000,000 visits, 4,500,000 outreach emails.
//
//	go test -run '^$' -bench Generate1M -benchtime 1x ./internal/demodata/
func BenchmarkGenerate1M(b *testing.B) {
	opt := Options{Companies: 1_000_000, News: 30_000_000, Visits: 6_000_000, Outreach: 4_500_000, Seed: 1}
	for i := 0; i < b.N; i++ {
		path := filepath.Join(b.TempDir(), "demo.duckdb")
		st, err := Generate(context.Background(), path, opt)
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			if fi, err := os.Stat(path); err == nil {
				b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
			}
			b.ReportMetric(float64(st.News+st.Visits+st.Outreach+st.Contacts*2+st.Companies), "rows")
		}
		if err := os.Remove(path); err != nil {
			b.Fatal(err)
		}
	}
}
