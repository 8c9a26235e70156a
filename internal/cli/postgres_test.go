package cli

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/crmtest"
)

// TestRealExportOnPostgres runs every step of the job, command by command,
// on the real export loaded into PostgreSQL: the same segments, the same
// verification write-back and the same single alert as on DuckDB.
func TestRealExportOnPostgres(t *testing.T) {
	shared := crmtest.SharedDir(t)
	db := crmtest.NewPostgresDB(t)
	ctx := context.Background()
	out := t.TempDir()
	mainCLI(ctx, "init", "--src", filepath.Join(shared, "db_src.duckdb"), "--db", db, "-q").expect(t, 0)
	mainCLI(ctx, "init", "--src", filepath.Join(shared, "db_src.duckdb"), "--db", db, "-q").expect(t, 2, "--force")
	mainCLI(ctx, "segment", "--db", db, "--as-of", "2024-04-30", "--data-dir", out).expect(t, 0, "HIGH 5  MEDIUM 36  LOW 59")
	r := mainCLI(ctx, "explain", "cummings.net", "--db", db, "--as-of", "2024-04-30")
	r.expect(t, 0)
	if !strings.Contains(r.out, "Segment as of 2024-04-30: HIGH") {
		t.Errorf("explain on PostgreSQL:\n%s", r.out)
	}
	mainCLI(ctx, "verify", "--db", db, "--as-of", "2024-04-30", "--data-dir", out,
		"--provider", "csv", "--file", filepath.Join(shared, "valid_emails.csv")).expect(t, 0, "7 rows, 2 valid")
	hook := newHookReceiver(t, false)
	mainCLI(ctx, "alert", "--db", db, "--as-of", "2024-04-30", "-q").expect(t, 0)
	bodies, _ := hook.received()
	if len(bodies) != 1 || !strings.Contains(bodies[0]["message"].(string), "white.white@cummings.net") {
		t.Fatalf("alerts = %v, want exactly one, for white.white@cummings.net", bodies)
	}
	mainCLI(ctx, "alert", "--db", db, "--as-of", "2024-04-30", "-q").expect(t, 0)
	if bodies, _ := hook.received(); len(bodies) != 1 {
		t.Errorf("the rerun sent %d alerts, want none", len(bodies)-1)
	}
	mainCLI(ctx, "run", "--db", db, "--as-of", "2024-05-30", "--data-dir", out,
		"--provider", "csv", "--file", filepath.Join(shared, "valid_emails.csv"), "-q").expect(t, 0)
	r = mainCLI(ctx, "runs", "--db", db)
	r.expect(t, 0)
	if !strings.Contains(r.out, "2024-05-30") || !strings.Contains(r.out, "succeeded") {
		t.Errorf("runs on PostgreSQL:\n%s", r.out)
	}
	r = mainCLI(ctx, "diff", "--db", db, "--from", "2024-04-30", "--to", "2024-05-30")
	r.expect(t, 0)
	if !strings.Contains(r.out, "HIGH") {
		t.Errorf("diff on PostgreSQL lists no change from HIGH:\n%s", r.out)
	}
}

func TestPostgresConnectionErrors(t *testing.T) {
	db := crmtest.NewPostgresDB(t)
	ctx := context.Background()
	noRole := strings.Replace(db, "postgres://postgres@", "postgres://nobody_here:pw@", 1)
	mainCLI(ctx, "segment", "--db", noRole).expect(t, 2, "authentication failed for user \"nobody_here\"")
	missing, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	missing.Path += "_missing"
	mainCLI(ctx, "segment", "--db", missing.String()).expect(t, 3, "does not exist")
	mainCLI(ctx, "segment", "--db", db).expect(t, 3, "crm.")
}
