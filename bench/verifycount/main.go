// Command verifycount counts the requests `verify` makes to ZeroBounce for
// N distinct addresses: it builds a DuckDB file with one HIGH company and N
// contacts, starts emailchecktest's fake ZeroBounce on 127.0.0.1, and runs
// emailcheck.Verify twice through the real ZeroBounce client (the second run
// must be answered from the cache). Requests are counted, not timed: the
// real API's limits dominate.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/emailcheck/providers"
	"github.com/intentalert/intentalert/internal/store"
)

func main() {
	n := flag.Int("n", 40000, "distinct addresses")
	dir := flag.String("dir", os.TempDir(), "directory for the scratch database")
	flag.Parse()
	if err := run(context.Background(), *n, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "verifycount:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n int, dir string) error {
	file := filepath.Join(dir, "verifycount.duckdb")
	os.Remove(file)
	os.Remove(file + ".wal")
	defer os.Remove(file)
	db, err := sql.Open("duckdb", file)
	if err != nil {
		return err
	}
	for _, q := range []string{
		"CREATE SCHEMA crm",
		`CREATE TABLE crm.contacts (company_id VARCHAR, id VARCHAR, first_name VARCHAR, last_name VARCHAR, email VARCHAR, phone VARCHAR)`,
		"CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)",
		"INSERT INTO crm.customer_buying_intent VALUES ('c1', 'HIGH')",
		fmt.Sprintf(`INSERT INTO crm.contacts SELECT 'c1', 'p' || i, 'First', 'Last', 'person' || i || '@example' || (i %% 97) || '.com', NULL FROM range(%d) t(i)`, n),
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := db.Close(); err != nil {
		return err
	}

	fake := emailchecktest.NewZeroBounce("bench-key", 10*n)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	st, err := store.Open(ctx, file, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	checker, err := providers.New(providers.Config{Provider: "zerobounce", APIKey: "bench-key", ZeroBounceURL: srv.URL, ZeroBounceBulkURL: srv.URL})
	if err != nil {
		return err
	}
	// A fake clock: the client's pacing (ZeroBounce allows few batches a
	// minute) is recorded, not waited for.
	clk := emailchecktest.NewClock(time.Now())
	for i, label := range []string{"first run", "second run"} {
		before := len(fake.Requests())
		b0, c0, v0 := fake.Count("/validatebatch"), fake.Count("/getcredits"), fake.Count("/validate")
		start := time.Now()
		sum, err := emailcheck.Verify(ctx, st, emailcheck.Options{Checker: checker, Now: clk.Now, Sleep: clk.Sleep})
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		fmt.Printf("run=%d addresses=%d checked=%d cached=%d requests=%d batch=%d credits=%d single=%d seconds=%.2f paced_total=%s\n",
			i+1, sum.InScope, sum.Checked, sum.Cached, len(fake.Requests())-before,
			fake.Count("/validatebatch")-b0, fake.Count("/getcredits")-c0, fake.Count("/validate")-v0,
			time.Since(start).Seconds(), paced(clk.Slept()))
	}
	return nil
}

func paced(d []time.Duration) time.Duration {
	var t time.Duration
	for _, x := range d {
		t += x
	}
	return t.Round(time.Second)
}
