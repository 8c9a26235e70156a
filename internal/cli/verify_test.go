package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/pipeline"
	"github.com/intentalert/intentalert/internal/store"
)

// verifyRun runs intentalert and returns its exit code and streams.
func verifyRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// verifyFixture is a segmented CRM: company h is HIGH with three contacts
// (one malformed), m is MEDIUM with one.
func verifyFixture(t *testing.T) string {
	t.Helper()
	crm := crmtest.New(t)
	crm.Company("h", "h.com", "")
	crm.Company("m", "m.com", "")
	crm.Contact("h", "Ann", "Lee", " Ann.Lee@H.com ", "")
	crm.Contact("h", "Bob", "Ray", "bob.ray@@h.com", "")
	crm.Contact("h", "Cy", "Day", "cy.day@h.com", "")
	crm.Contact("m", "Mo", "Po", "mo.po@m.com", "")
	crm.Exec(`CREATE TABLE crm.customer_buying_intent (company_id VARCHAR, buying_intent VARCHAR)`)
	crm.Exec(`INSERT INTO crm.customer_buying_intent VALUES ('h', 'HIGH'), ('m', 'MEDIUM')`)
	crm.Close()
	return crm.Path
}

func readValidEmails(t *testing.T, db string) map[string]bool {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.DB.Query(`SELECT email, is_email_valid FROM crm.valid_emails`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var e string
		var v bool
		rows.Scan(&e, &v)
		out[e] = v
	}
	return out
}

func TestVerifyTaktileExport(t *testing.T) {
	shared := crmtest.SharedDir(t)
	dir := t.TempDir()
	db, data := filepath.Join(dir, "db.duckdb"), filepath.Join(dir, "data")
	if err := store.InitDuckDB(context.Background(), filepath.Join(shared, "db_src.duckdb"), db, false); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := verifyRun(t, "segment", "--db", db, "--as-of", "2024-04-30", "--data-dir", data); code != 0 {
		t.Fatalf("segment: exit %d: %s", code, errOut)
	}
	code, out, errOut := verifyRun(t, "verify", "--db", db, "--data-dir", data, "--provider", "csv", "--file", filepath.Join(shared, "valid_emails.csv"), "--format", "json")
	if code != 0 {
		t.Fatalf("verify: exit %d: %s", code, errOut)
	}
	var sum emailcheck.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("verify --format json: %v\n%s", err, out)
	}
	if sum.Written != 7 || sum.WrittenValid != 2 || len(sum.Addresses) != 7 {
		t.Errorf("summary = %+v; want 7 rows, 2 valid, 7 addresses", sum)
	}
	got := readValidEmails(t, db)
	if len(got) != 7 || !got["holloway.holloway@crawford.com"] || !got["white.white@cummings.net"] {
		t.Errorf("crm.valid_emails = %v; want 7 rows, holloway and white valid", got)
	}
	valid := 0
	for _, v := range got {
		if v {
			valid++
		}
	}
	if valid != 2 {
		t.Errorf("%d valid rows, want 2", valid)
	}
	csv, err := os.ReadFile(filepath.Join(data, "valid_emails.csv"))
	if err != nil || !strings.HasPrefix(string(csv), "email,is_email_valid\n") || strings.Count(string(csv), "\n") != 8 ||
		!strings.Contains(string(csv), "white.white@cummings.net,true\n") {
		t.Errorf("valid_emails.csv = %q, %v", csv, err)
	}
}

func TestVerifyOfflineTextSummary(t *testing.T) {
	db := verifyFixture(t)
	data := t.TempDir()
	code, out, errOut := verifyRun(t, "verify", "--db", db, "--data-dir", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, s := range []string{"3 addresses in scope", "skipped", "cached 0", "checked 3", "valid 2", "invalid 1", "catch-all 0", "unknown 0", "do-not-mail 0", "credits spent 0", "crm.valid_emails (3 rows, 2 valid)"} {
		if !strings.Contains(errOut, s) {
			t.Errorf("summary does not mention %q:\n%s", s, errOut)
		}
	}
	if out != "" || strings.Contains(errOut, "\r") {
		t.Errorf("text mode printed on stdout or drew a progress bar off a terminal: %q / %q", out, errOut)
	}
	if got := readValidEmails(t, db); len(got) != 3 || got["bob.ray@@h.com"] || !got["ann.lee@h.com"] {
		t.Errorf("crm.valid_emails = %v", got)
	}
	if code, _, errOut := verifyRun(t, "verify", "--db", db, "--data-dir", data, "--quiet"); code != 0 || errOut != "" {
		t.Errorf("--quiet: exit %d, stderr %q; want nothing", code, errOut)
	}
	code, _, errOut = verifyRun(t, "verify", "--db", db, "--data-dir", data, "--segments", "high,medium")
	if code != 0 || !strings.Contains(errOut, "4 addresses in scope") || !strings.Contains(errOut, "cached 3") {
		t.Errorf("--segments high,medium: exit %d: %s", code, errOut)
	}
}

func TestVerifyErrors(t *testing.T) {
	db := verifyFixture(t)
	unsegmented := crmtest.New(t)
	unsegmented.Close()
	t.Setenv("ZEROBOUNCE_API_KEY", "")
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte("k3y-for-abstract\n"), 0o600)
	tests := []struct {
		name string
		args []string
		code int
		has  string
	}{
		{"segment first", []string{"verify", "--db", unsegmented.Path}, 3, "run `intentalert segment` first"},
		{"unknown provider", []string{"verify", "--db", db, "--provider", "mailgun"}, 2, "--provider"},
		{"file without csv", []string{"verify", "--db", db, "--file", "x.csv"}, 2, "--file applies to --provider csv"},
		{"csv without file", []string{"verify", "--db", db, "--provider", "csv"}, 2, "--file"},
		{"missing csv file", []string{"verify", "--db", db, "--provider", "csv", "--file", filepath.Join(t.TempDir(), "no.csv")}, 3, "does not exist"},
		{"no key", []string{"verify", "--db", db, "--provider", "zerobounce"}, 2, "ZEROBOUNCE_API_KEY"},
		{"unreadable key file", []string{"verify", "--db", db, "--provider", "abstractapi", "--api-key-file", filepath.Join(t.TempDir(), "key")}, 2, "--api-key-file"},
		{"mx with zerobounce", []string{"verify", "--db", db, "--provider", "zerobounce", "--mx"}, 2, "--mx"},
		{"bad segment", []string{"verify", "--db", db, "--segments", "HOT"}, 2, "--segments"},
		{"bad max age", []string{"verify", "--db", db, "--max-age", "a month"}, 2, "--max-age"},
		{"zero max age", []string{"verify", "--db", db, "--max-age", "0d"}, 2, "--refresh"},
		{"bad accept", []string{"verify", "--db", db, "--accept", "unknown"}, 2, "--accept"},
		{"negative budget", []string{"verify", "--db", db, "--budget", "-5"}, 2, "--budget"},
		{"bad format", []string{"verify", "--db", db, "--format", "yaml"}, 2, "--format"},
		{"bad URL", []string{"verify", "--db", db, "--provider", "abstractapi", "--api-key-file", keyFile, "--abstractapi-url", "ftp://x/v1"}, 2, "http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := verifyRun(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.has) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.code, tt.has)
			}
		})
	}
}

// TestVerifyNeverShowsTheKey runs verify against the ZeroBounce fake in
// every error mode, with --verbose, and looks for the key everywhere.
func TestVerifyNeverShowsTheKey(t *testing.T) {
	const secret = "zb-cli-9d2f7e-DO-NOT-PRINT"
	fake := emailchecktest.NewZeroBounce(secret, 1000)
	base := fake.Start(t)
	t.Setenv("INTENTALERT_ZEROBOUNCE_URL", base)
	t.Setenv("INTENTALERT_ZEROBOUNCE_BULK_URL", base)
	t.Setenv("INTENTALERT_VERIFY_PROVIDER", "zerobounce")
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte(secret+"\n"), 0o600)
	tests := []struct {
		name  string
		key   string // ZEROBOUNCE_API_KEY
		args  []string
		setup func()
		code  int
		has   string
	}{
		{"success, json", secret, []string{"--format", "json"}, nil, 0, "valid 2"},
		{"key file", "", []string{"--api-key-file", keyFile, "--refresh"}, nil, 0, "checked 3 (malformed 1)"},
		{"bad key", "wrong-" + secret, []string{"--refresh"}, nil, 1, "API key was refused"},
		{"out of credits in a 200 body", secret, []string{"--refresh"}, func() {
			fake.Enqueue(emailchecktest.Reply{Body: `{"Credits": "5000"}`},
				emailchecktest.Reply{Body: `{"email_batch": [], "errors": [{"email_address": "all", "error": "Invalid API Key or your account ran out of credits (key ` + secret + `)"}]}`})
		}, 1, "no credits left"},
		{"firewall", secret, []string{"--refresh"}, func() {
			fake.Enqueue(emailchecktest.Reply{Status: 403, Body: "<html><head><title>Access denied " + url.QueryEscape(secret) + "</title></head></html>"})
		}, 1, "API Shield"},
		{"server error then success", secret, []string{"--refresh"}, func() {
			fake.Enqueue(emailchecktest.Reply{Status: 500, Body: `{"error": "oops ` + secret + `"}`})
		}, 0, "retrying"},
	}
	db := verifyFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("ZEROBOUNCE_API_KEY", tt.key)
			if tt.setup != nil {
				tt.setup()
			}
			args := append([]string{"verify", "--db", db, "--data-dir", t.TempDir(), "--verbose"}, tt.args...)
			code, out, errOut := verifyRun(t, args...)
			if code != tt.code || !strings.Contains(errOut, tt.has) {
				t.Errorf("exit %d, want %d mentioning %q\nstdout: %s\nstderr: %s", code, tt.code, tt.has, out, errOut)
			}
			for _, form := range []string{secret, url.QueryEscape(secret), "DO-NOT-PRINT"} {
				if strings.Contains(out+errOut, form) {
					t.Errorf("the key is shown:\nstdout: %s\nstderr: %s", out, errOut)
				}
			}
		})
	}
	for _, r := range fake.Requests() {
		if strings.Contains(r.Body, "bob.ray") || strings.Contains(r.Query.Get("email"), "bob.ray") {
			t.Errorf("the malformed address was sent")
		}
	}
}

func TestVerifyStepOfThePipeline(t *testing.T) {
	db := verifyFixture(t)
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &app{dataDir: t.TempDir()}
	flags := verifyFlags{segments: "HIGH", provider: "offline", maxAge: "30d", concurrency: 2, timeout: time.Minute}
	step := a.verifyStep(&flags)
	res, err := step.Run(context.Background(), pipeline.Env{Store: st, Log: slog.New(slog.DiscardHandler), Now: time.Now})
	if err != nil || step.Name != pipeline.StepVerify {
		t.Fatalf("step %q: %v", step.Name, err)
	}
	if res.Verdicts["valid"] != 2 || res.Verdicts["invalid"] != 1 || res.Counts["checked"] != 3 || res.Credits != 0 {
		t.Errorf("result = %+v; want 2 valid, 1 invalid, 3 checked, no credits", res)
	}
	if _, err := os.Stat(filepath.Join(a.dataDir, emailcheck.CSVName)); err != nil {
		t.Errorf("no CSV: %v", err)
	}
}
