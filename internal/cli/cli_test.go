package cli

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/intentalert/intentalert/internal/crmtest"
)

// TestMain lets the test binary double as a process that holds a DuckDB
// database's write lock, for the lock tests.
func TestMain(m *testing.M) {
	if path := os.Getenv("INTENTALERT_TEST_HOLD_LOCK"); path != "" {
		db, err := sql.Open("duckdb", path)
		if err == nil {
			err = db.Ping()
		}
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("ready\n")
		bufio.NewReader(os.Stdin).ReadString('\n')
		db.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type result struct {
	code        int
	out, errOut string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return result{code, out.String(), errOut.String()}
}

func (r result) want(t *testing.T, code int, stderrHas ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.out, r.errOut)
	}
	for _, s := range stderrHas {
		if !strings.Contains(r.errOut, s) {
			t.Errorf("stderr %q does not mention %q", r.errOut, s)
		}
	}
	if code != 0 && strings.Count(strings.TrimSpace(r.errOut), "\n") > 0 && !strings.Contains(r.errOut, "level=") {
		t.Errorf("error is not one line: %q", r.errOut)
	}
	if strings.Contains(r.errOut, "goroutine ") || strings.Contains(r.errOut, "panic") {
		t.Errorf("stack trace on stderr: %s", r.errOut)
	}
}

// fixture returns a small CRM with one company of each tier as of 2024-04-30.
func fixture(t *testing.T) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Company("h", "h.com", "")
	crm.News("https://www.h.com", "2024-04-29", "H")
	crm.Visit("a@H.com", "2024-04-28")
	crm.Company("m", "m.com", "")
	crm.News("http://m.com/x", "2024-04-10", "M")
	crm.Company("l", "l.com", "")
	crm.Close()
	return crm.Path
}

func TestUsageErrors(t *testing.T) {
	db := fixture(t)
	tests := []struct {
		name string
		args []string
		has  string
	}{
		{"malformed as-of", []string{"segment", "--db", db, "--as-of", "30/04/2024"}, "--as-of"},
		{"impossible date", []string{"segment", "--db", db, "--as-of", "2024-02-30"}, "YYYY-MM-DD"},
		{"unknown flag", []string{"segment", "--nope"}, "unknown flag"},
		{"unknown command", []string{"segmnt"}, "unknown command"},
		{"bad window", []string{"segment", "--db", db, "--high-window-days", "0"}, "--high-window-days"},
		{"bad log format", []string{"segment", "--db", db, "--log-format", "xml"}, "--log-format"},
		{"bad output format", []string{"segment", "--db", db, "--format", "yaml"}, "--format"},
		{"explain needs an argument", []string{"explain", "--db", db}, "arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.args...).want(t, 2, tt.has) })
	}
}

func TestBadEnvironmentIsUsageError(t *testing.T) {
	t.Setenv("INTENTALERT_HIGH_WINDOW_DAYS", "seven")
	run(t, "segment", "--db", fixture(t)).want(t, 2, "INTENTALERT_HIGH_WINDOW_DAYS")
}

func TestDataErrors(t *testing.T) {
	dir := t.TempDir()
	notDuck := filepath.Join(dir, "notes.duckdb")
	os.WriteFile(notDuck, []byte("company_id,buying_intent\n"), 0o644)
	crm := crmtest.New(t)
	crm.Exec(`DROP TABLE crm.website_visits`)
	crm.Close()
	tests := []struct {
		name string
		args []string
		has  string
	}{
		{"missing database", []string{"segment", "--db", filepath.Join(dir, "nope.duckdb")}, "does not exist"},
		{"not a DuckDB file", []string{"segment", "--db", notDuck}, "not a DuckDB database"},
		{"missing table", []string{"segment", "--db", crm.Path}, "crm.website_visits is missing"},
		{"missing export", []string{"init", "--src", filepath.Join(dir, "nope.duckdb"), "--db", filepath.Join(dir, "w.duckdb")}, "nope.duckdb"},
		{"unknown company", []string{"explain", "nobody.com", "--db", fixture(t)}, "nobody.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.args...).want(t, 3, tt.has) })
	}
}

func TestSegmentWritesTableCSVAndJSON(t *testing.T) {
	db := fixture(t)
	out := filepath.Join(t.TempDir(), "new", "dir")
	// Global flags before and after the subcommand.
	r := run(t, "--as-of", "2024-04-30", "segment", "--db", db, "--data-dir", out, "--format", "json")
	r.want(t, 0, "HIGH 1  MEDIUM 1  LOW 1")
	var rep segmentReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.out)
	}
	if rep.Counts.High != 1 || len(rep.Companies) != 3 || rep.Companies[0].ID != "h" || rep.Companies[0].BuyingIntent != "HIGH" {
		t.Errorf("report = %+v", rep)
	}
	b, err := os.ReadFile(filepath.Join(out, "customer_segments.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "company_id,buying_intent\nh,HIGH\nl,LOW\nm,MEDIUM\n"; string(b) != want {
		t.Errorf("csv = %q, want %q", b, want)
	}
}

func TestEnvironmentAndPrecedence(t *testing.T) {
	db := fixture(t)
	t.Setenv("INTENTALERT_DB", db)
	t.Setenv("INTENTALERT_AS_OF", "2024-04-30")
	t.Setenv("INTENTALERT_DATA_DIR", t.TempDir())
	run(t, "segment", "--quiet").want(t, 0)
	// The flag wins over the environment: as of 2024-06-30 nothing is recent.
	r := run(t, "segment", "--as-of", "2024-06-30", "--format", "json", "--quiet")
	r.want(t, 0)
	if !strings.Contains(r.out, `"LOW": 3`) {
		t.Errorf("--as-of did not override INTENTALERT_AS_OF: %s", r.out)
	}
	if r.errOut != "" {
		t.Errorf("--quiet printed %q", r.errOut)
	}
}

func TestExplainText(t *testing.T) {
	r := run(t, "explain", "m.com", "--db", fixture(t), "--as-of", "2024-04-30")
	r.want(t, 0)
	for _, s := range []string{"Segment as of 2024-04-30: MEDIUM", `2024-04-10  "M" http://m.com/x`, "To reach HIGH it needs a website visit and a news publication on or after 2024-04-24"} {
		if !strings.Contains(r.out, s) {
			t.Errorf("explain output lacks %q:\n%s", s, r.out)
		}
	}
}

func TestInitRefusals(t *testing.T) {
	src := fixture(t)
	dst := filepath.Join(t.TempDir(), "db.duckdb")
	run(t, "init", "--src", src, "--db", dst).want(t, 0)
	run(t, "init", "--src", src, "--db", dst).want(t, 2, "--force")
	run(t, "init", "--src", src, "--db", src, "--force").want(t, 2, "same file")
	run(t, "init", "--src", src, "--db", dst, "--force").want(t, 0)
}

func TestInitNeverWritesTheSourceAndKeepsItsWAL(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "export.duckdb")
	db, err := sql.Open("duckdb", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range append(strings.Split(crmtest.Schema, ";\n"),
		"CHECKPOINT",
		"PRAGMA disable_checkpoint_on_shutdown",
		"SET wal_autocheckpoint = '1TB'",
		"INSERT INTO crm.companies VALUES ('in-wal', '', 'wal.com', 'l', 'd')") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	db.Close()
	if _, err := os.Stat(src + ".wal"); err != nil {
		t.Fatalf("the fixture has no write-ahead log: %v", err)
	}
	before, _ := os.ReadFile(src)
	beforeWAL, _ := os.ReadFile(src + ".wal")
	dst := filepath.Join(dir, "work", "db.duckdb")
	run(t, "init", "--src", src, "--db", dst).want(t, 0)
	after, _ := os.ReadFile(src)
	afterWAL, _ := os.ReadFile(src + ".wal")
	if !bytes.Equal(before, after) || !bytes.Equal(beforeWAL, afterWAL) {
		t.Error("init modified the export or its write-ahead log")
	}
	r := run(t, "explain", "wal.com", "--db", dst, "--as-of", "2024-04-30")
	r.want(t, 0)
	if !strings.Contains(r.out, "in-wal") {
		t.Errorf("the row only in the WAL is missing from the copy:\n%s", r.out)
	}
}

func TestLockedDatabase(t *testing.T) {
	db := fixture(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "INTENTALERT_TEST_HOLD_LOCK="+db)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("lock holder: %q", line)
	}
	run(t, "segment", "--db", db, "--data-dir", t.TempDir()).want(t, 3, "locked by another process")
	run(t, "init", "--src", fixture(t), "--db", db, "--force").want(t, 3, "locked")
}

func TestRealExportEndToEnd(t *testing.T) {
	shared := crmtest.SharedDir(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "db.duckdb")
	run(t, "init", "--src", filepath.Join(shared, "db_src.duckdb"), "--db", db).want(t, 0)
	r := run(t, "segment", "--db", db, "--as-of", "2024-04-30", "--data-dir", filepath.Join(dir, "out"))
	r.want(t, 0, "HIGH 5  MEDIUM 36  LOW 59")
	r = run(t, "explain", "cummings.net", "--db", db, "--as-of", "2024-04-30", "--format", "json")
	r.want(t, 0)
	if !strings.Contains(r.out, `"buying_intent": "HIGH"`) {
		t.Errorf("cummings.net is not HIGH:\n%s", r.out)
	}
}

func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"segment", "--help"}, {"init", "--help"}, {"explain", "--help"}, {"demo", "--help"}, {"demo-data", "--help"}, {"completion", "bash"}} {
		r := run(t, args...)
		r.want(t, 0)
		if r.out == "" {
			t.Errorf("%v printed nothing", args)
		}
	}
}
