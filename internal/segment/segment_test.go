package segment_test

import (
	"context"
	"crypto/md5"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/normalize"
	"github.com/intentalert/intentalert/internal/segment"
	"github.com/intentalert/intentalert/internal/store"
)

var asOf = time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC)

func defaults() segment.Params {
	return segment.Params{AsOf: asOf, HighDays: 7, MediumDays: 30}
}

func day(offset int) string { return asOf.AddDate(0, 0, offset).Format(time.DateOnly) }

func open(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// run segments the fixture on every engine, checks they agree, and returns
// company id -> tier from crm.customer_buying_intent.
func run(t *testing.T, crm *crmtest.CRM, p segment.Params) map[string]segment.Tier {
	t.Helper()
	crm.Close()
	var first map[string]segment.Tier
	for _, e := range crmtest.Engines(t, store.Init) {
		st := open(t, e.DSN(t, crm.Path))
		if _, err := segment.Run(context.Background(), st, p, time.Now()); err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		got := map[string]segment.Tier{}
		if err := segment.Current(context.Background(), st, func(c segment.Company) error {
			got[c.ID] = c.BuyingIntent
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = got
			continue
		}
		for id, tier := range first {
			if got[id] != tier || len(got) != len(first) {
				t.Errorf("%s disagrees with duckdb on %s: %s, want %s", e.Name, id, got[id], tier)
			}
		}
	}
	return first
}

func TestWindowBoundaries(t *testing.T) {
	// For a window of N days ending on D: D-N excluded, D-N+1 included, D
	// included, D+1 excluded.
	tests := []struct {
		name              string
		newsDay, visitDay int
		want              segment.Tier
	}{
		{"news and visit today", 0, 0, segment.High},
		{"news and visit at D-6", -6, -6, segment.High},
		{"news at D-7 is outside HIGH", -7, 0, segment.Medium},
		{"visit at D-7 is outside HIGH", 0, -7, segment.Medium},
		{"news tomorrow does not count", 1, 0, segment.Low},
		{"visit tomorrow does not count", 0, 1, segment.Medium},
		{"news at D-29 is MEDIUM", -29, -100, segment.Medium},
		{"news at D-30 is outside MEDIUM", -30, 0, segment.Low},
	}
	crm := crmtest.New(t)
	ids := map[string]string{}
	for i, tt := range tests {
		domain := "c" + string(rune('a'+i)) + ".com"
		ids[tt.name] = crm.Company("", domain, "")
		crm.News("https://"+domain, day(tt.newsDay), "news")
		crm.Visit("someone@"+domain, day(tt.visitDay))
	}
	got := run(t, crm, defaults())
	for _, tt := range tests {
		if g := got[ids[tt.name]]; g != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, g, tt.want)
		}
	}
}

func TestConfigurableWindows(t *testing.T) {
	crm := crmtest.New(t)
	a := crm.Company("", "a.com", "")
	crm.News("a.com", day(-10), "x")
	crm.Visit("v@a.com", day(-10))
	b := crm.Company("", "b.com", "")
	crm.News("b.com", day(-40), "x")
	got := run(t, crm, segment.Params{AsOf: asOf, HighDays: 11, MediumDays: 41})
	if got[a] != segment.High || got[b] != segment.Medium {
		t.Errorf("got a=%s b=%s, want HIGH and MEDIUM with 11- and 41-day windows", got[a], got[b])
	}
}

func TestAttributionByDomain(t *testing.T) {
	crm := crmtest.New(t)
	acme := crm.Company("", " Acme.COM ", "")
	notacme := crm.Company("", "notacme.com", "")
	acmeAU := crm.Company("", "acme.com.au", "")
	sub := crm.Company("", "news.acme.com", "")
	nodomain := crm.Company("", "", "")
	empty := crm.Company("", crmtest.EmptyString, "")
	// Every form of URL pointing at acme.com.
	crm.News("HTTPS://WWW.ACME.COM/press?id=1#x", day(-1), "acme news")
	crm.Visit("  Jane.Doe@ACME.com ", day(-1))
	// Noise: neither suffix nor substring matches, NULLs, other companies.
	crm.News("", day(-1), "no url")
	crm.News("https://someoneelse.org", day(-1), "other")
	crm.Visit("", day(-1))
	crm.Visit("no-at-sign", day(-1))
	got := run(t, crm, defaults())
	want := map[string]segment.Tier{acme: segment.High, notacme: segment.Low, acmeAU: segment.Low, sub: segment.Low, nodomain: segment.Low, empty: segment.Low}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("company %s: got %s, want %s", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d companies, want %d", len(got), len(want))
	}
}

// TestSQLHostRuleMatchesGo attributes one news row per URL form through the
// SQL and checks it lands on the company whose domain is normalize.Host of
// the URL: the two implementations of the rule agree.
func TestSQLHostRuleMatchesGo(t *testing.T) {
	urls := []string{
		"http://www.castillo.biz", "https://www.hall-powell.com", "http://pope.com", "pope2.com",
		"www.pope3.com", "HTTPS://WWW.Pope4.COM", "  https://pope5.com/  ", "\thttp://pope6.com\n",
		"https://pope7.com:8443/news?id=1#top", "pope8.com:80", "pope9.com/path/to", "pope10.com?x=1",
		"pope11.com#frag", "https://user:secret@www.pope12.com:8080/x", "https://a@b@pope13.com",
		"https://pope14.com./", "ftp://files.pope15.com", "https://www.www.pope16.com", "mailto:info@pope17.com",
	}
	crm := crmtest.New(t)
	ids := map[string]string{}
	for _, u := range urls {
		h := normalize.Host(u)
		if h == "" {
			t.Fatalf("normalize.Host(%q) is empty", u)
		}
		ids[u] = crm.Company("", h, "")
		crm.News(u, day(-3), "n")
	}
	got := run(t, crm, defaults())
	for _, u := range urls {
		if got[ids[u]] != segment.Medium {
			t.Errorf("news at %q was not attributed to %q by the SQL (got %s)", u, normalize.Host(u), got[ids[u]])
		}
	}
}

func TestDuplicateCompanyIDTakesHighestTier(t *testing.T) {
	crm := crmtest.New(t)
	crm.Company("dup", "one.com", "")
	crm.Company("dup", "two.com", "")
	crm.News("two.com", day(0), "n")
	crm.Visit("x@two.com", day(0))
	got := run(t, crm, defaults())
	if len(got) != 1 || got["dup"] != segment.High {
		t.Errorf("got %v, want one row dup=HIGH", got)
	}
}

func TestHistoryRerunReplacesAsOf(t *testing.T) {
	crm := crmtest.New(t)
	crm.Company("a", "a.com", "")
	crm.News("a.com", day(-2), "n")
	crm.Close()
	st := open(t, crm.Path)
	ctx := context.Background()
	for _, d := range []time.Time{asOf, asOf, asOf.AddDate(0, 0, 60)} {
		p := defaults()
		p.AsOf = d
		if _, err := segment.Run(ctx, st, p, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := st.DB.QueryContext(ctx, `SELECT strftime(as_of, '%Y-%m-%d'), buying_intent FROM crm.buying_intent_history ORDER BY as_of`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var d, tier string
		rows.Scan(&d, &tier)
		got = append(got, d+"="+tier)
	}
	want := []string{"2024-04-30=MEDIUM", "2024-06-29=LOW"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("history = %v, want %v", got, want)
	}
}

func TestMissingTableIsDataError(t *testing.T) {
	crm := crmtest.New(t)
	crm.Exec(`DROP TABLE crm.website_visits`)
	crm.Close()
	st := open(t, crm.Path)
	_, err := segment.Run(context.Background(), st, defaults(), time.Now())
	if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "crm.website_visits") {
		t.Fatalf("err = %v (exit %d), want exit 3 naming crm.website_visits", err, exitcode.Of(err))
	}
}

func TestMissingColumnAndWrongType(t *testing.T) {
	tests := []struct{ alter, want string }{
		{`ALTER TABLE crm.news_publications DROP COLUMN company_website`, "crm.news_publications.company_website is missing"},
		{`ALTER TABLE crm.website_visits ALTER event_date_utc TYPE VARCHAR`, "crm.website_visits.event_date_utc has type VARCHAR"},
	}
	for _, tt := range tests {
		crm := crmtest.New(t)
		crm.Exec(tt.alter)
		crm.Close()
		st := open(t, crm.Path)
		_, err := segment.Run(context.Background(), st, defaults(), time.Now())
		if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("after %q: err = %v, want exit 3 containing %q", tt.alter, err, tt.want)
		}
	}
}

func TestExplainAgreesWithSegment(t *testing.T) {
	crm := crmtest.New(t)
	crm.Company("h", "h.com", "1 Main St")
	crm.News("https://www.h.com/a", day(-1), "H launches")
	crm.Visit("bob@h.com", day(-2))
	crm.Company("m", "m.com", "")
	crm.News("m.com", day(-20), "M news")
	crm.Visit("amy@m.com", day(-9))
	crm.Company("l", "l.com", "")
	crm.News("l.com", day(-31), "old")
	got := run(t, crm, defaults())
	st := open(t, crm.Path)
	for id, tier := range got {
		exps, err := segment.Explain(context.Background(), st, defaults(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(exps) != 1 || exps[0].BuyingIntent != tier {
			t.Errorf("explain %s = %+v, want segment %s", id, exps, tier)
		}
	}
	exps, _ := segment.Explain(context.Background(), st, defaults(), "M.COM")
	e := exps[0]
	if e.CompanyID != "m" || len(e.NewsMedium.Inside) != 1 || e.VisitsHigh.Before == nil || e.VisitsHigh.Before.Visitor != "amy@m.com" {
		t.Errorf("explain m.com = %+v", e)
	}
	if e.NextTier != segment.High || !strings.Contains(e.MissingForNext, "a website visit and a news publication") {
		t.Errorf("missing for next tier = %q", e.MissingForNext)
	}
	if _, err := segment.Explain(context.Background(), st, defaults(), "nobody.com"); exitcode.Of(err) != exitcode.Data {
		t.Errorf("explain of an unknown company: err = %v, want exit 3", err)
	}
}

func TestCSVIsAtomicAndSorted(t *testing.T) {
	crm := crmtest.New(t)
	crm.Company("b", "b.com", "")
	crm.Company("a", "a.com", "")
	crm.News("a.com", day(0), "n")
	run(t, crm, defaults())
	st := open(t, crm.Path)
	dir := filepath.Join(t.TempDir(), "nested", "out")
	path, err := segment.WriteCSV(context.Background(), st, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := "company_id,buying_intent\na,MEDIUM\nb,LOW\n"; string(b) != want {
		t.Errorf("csv = %q, want %q", b, want)
	}
}

// TestRealExport: the segmentation of the Taktile export as of 2024-04-30
// equals Taktile's reference, in the CSV and in the table, and the export is
// byte-identical afterwards.
func TestRealExport(t *testing.T) {
	shared := crmtest.SharedDir(t)
	src := filepath.Join(shared, "db_src.duckdb")
	before := md5sum(t, src)
	dir := t.TempDir()
	db := filepath.Join(dir, "db.duckdb")
	ctx := context.Background()
	if err := store.InitDuckDB(ctx, src, db, false); err != nil {
		t.Fatal(err)
	}
	st := open(t, db)
	counts, err := segment.Run(ctx, st, defaults(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if counts != (segment.Counts{High: 5, Medium: 36, Low: 59}) {
		t.Errorf("counts = %+v, want 5 HIGH, 36 MEDIUM, 59 LOW", counts)
	}
	path, err := segment.WriteCSV(ctx, st, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	want := readCSV(t, filepath.Join(shared, "customer_segments.csv"))
	if got := readCSV(t, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CSV differs from the reference:\ngot  %d rows\nwant %d rows", len(got), len(want))
	}
	var table []string
	segment.Current(ctx, st, func(c segment.Company) error {
		table = append(table, c.ID+","+string(c.BuyingIntent))
		return nil
	})
	sort.Strings(table)
	if strings.Join(table, "\n") != strings.Join(want[1:], "\n") {
		t.Errorf("crm.customer_buying_intent differs from the reference")
	}
	if after := md5sum(t, src); after != before {
		t.Errorf("the export changed: md5 %s, was %s", after, before)
	}
}

// readCSV returns the header then the rows sorted.
func readCSV(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range recs[1:] {
		rows = append(rows, strings.Join(r, ","))
	}
	sort.Strings(rows)
	return append([]string{strings.Join(recs[0], ",")}, rows...)
}

func md5sum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return string(h.Sum(nil))
}

// TestRealExportPostgres: the export loaded into PostgreSQL segments exactly
// like Taktile's reference.
func TestRealExportPostgres(t *testing.T) {
	shared := crmtest.SharedDir(t)
	dsn := crmtest.NewPostgresDB(t)
	ctx := context.Background()
	src := filepath.Join(shared, "db_src.duckdb")
	before := md5sum(t, src)
	if err := store.Init(ctx, src, dsn, false); err != nil {
		t.Fatal(err)
	}
	if err := store.Init(ctx, src, dsn, false); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("second init without --force: err = %v, want a usage error", err)
	}
	if err := store.Init(ctx, src, dsn, true); err != nil {
		t.Fatalf("init --force: %v", err)
	}
	st := open(t, dsn)
	counts, err := segment.Run(ctx, st, defaults(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if counts != (segment.Counts{High: 5, Medium: 36, Low: 59}) {
		t.Errorf("counts = %+v, want 5 HIGH, 36 MEDIUM, 59 LOW", counts)
	}
	path, err := segment.WriteCSV(ctx, st, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := readCSV(t, filepath.Join(shared, "customer_segments.csv"))
	if got := readCSV(t, path); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("PostgreSQL segmentation differs from the reference")
	}
	if md5sum(t, src) != before {
		t.Error("the export changed")
	}
}
