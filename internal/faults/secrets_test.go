package faults

import (
	"database/sql"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/exitcode"
)

// Fake secrets, distinctive enough that finding one anywhere is a leak.
const (
	zeroBounceKey  = "zbkey-SECRET-1a2b3c4d"
	abstractKey    = "abkey-SECRET-5e6f7a8b"
	webhookSecret  = "whsec-SECRET-9c8d7e6f"
	runToken       = "runtok-SECRET-0f1e2d3c"
	pgPassword     = "pg-SECRET-p@ss/w:rd&x=1"
	pgPasswordText = "pg-SECRET" // the part that survives any encoding
)

// secretForms returns the ways a secret can show: as is, URL-encoded
// (query and path), JSON-escaped, and its distinctive part.
func secretForms(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		js, _ := json.Marshal(s)
		for _, f := range []string{s, url.QueryEscape(s), url.PathEscape(s), strings.Trim(string(js), `"`)} {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// leakCheck collects the secrets of a test and counts what it checked.
type leakCheck struct {
	t       *testing.T
	forms   []string
	mu      sync.Mutex
	checked int // texts looked through: outputs, table rows, files
}

func (l *leakCheck) check(what string, texts ...string) {
	l.t.Helper()
	l.mu.Lock()
	l.checked += len(texts)
	l.mu.Unlock()
	for _, text := range texts {
		for _, f := range l.forms {
			if strings.Contains(text, f) {
				l.t.Errorf("%s: shows the secret %q:\n%s", what, f, clip(text))
			}
		}
	}
}

// TestSecretsNeverShow runs every command, with every provider against its
// fake and every channel against its double, with known fake secrets in
// the environment (API keys, webhook URLs with tokens in their path, a
// signing secret, a Slack token, an SMTP password, a PostgreSQL password),
// at the default log level, with --verbose, and with --verbose
// --log-format json; the doubles echo secrets back in their errors. No
// secret may appear in stdout, stderr (logs and errors), the tables the
// commands write or their CSV files.
func TestSecretsNeverShow(t *testing.T) {
	t.Parallel()
	hook := newReceiver(t, nil)
	var echo *receiver
	echo = newReceiver(t, func(int, int) answer {
		return answer{Status: 400, Body: "bad hook " + echo.token + " " + echo.URL() + " signed " + webhookSecret}
	})
	slack := alerttest.NewSlack(t)
	slackEcho := alerttest.NewSlack(t)
	for range 60 {
		slackEcho.Next(alerttest.WebhookError(404, "no_service "+slackEcho.Hook+" "+slackEcho.WebhookURL()))
	}
	smtpd := alerttest.NewSMTPServer(t, alerttest.SMTPPlain)
	zb := emailchecktest.NewZeroBounce(zeroBounceKey, 1000)
	zbURL := zb.Start(t)
	ab := emailchecktest.NewAbstractAPI(abstractKey, 1000)
	abURL := ab.Start(t)
	zbBad := emailchecktest.NewZeroBounce(zeroBounceKey, 1000)
	zbBadURL := zbBad.Start(t)
	for range 50 {
		zbBad.Enqueue(emailchecktest.Reply{Status: 401, Body: `{"error": "Invalid API key ` + zeroBounceKey + `"}`})
	}
	abBad := emailchecktest.NewAbstractAPI(abstractKey, 1000)
	abBadURL := abBad.Start(t)
	for range 400 { // 3 addresses, 5 attempts, 4 variants in the long form, with room
		abBad.Enqueue(emailchecktest.Reply{Status: 500, Body: "<html><title>oops " + abstractKey + "</title></html>"})
	}
	pgDown := "postgres://intentalert:" + url.QueryEscape(pgPassword) + "@127.0.0.1:1/crm"
	leaks := &leakCheck{t: t, forms: secretForms(zeroBounceKey, abstractKey, webhookSecret, runToken, pgPassword, pgPasswordText,
		hook.token, hook.URL(), echo.token, slack.Hook, slack.WebhookURL(), slack.Token, slackEcho.Hook, smtpd.Password)}

	// Every secret in the environment, as production would have them.
	base := []string{
		"ZEROBOUNCE_API_KEY=" + zeroBounceKey,
		"ABSTRACTAPI_API_KEY=" + abstractKey,
		"INTENTALERT_WEBHOOK_URL=" + hook.URL(),
		"INTENTALERT_WEBHOOK_SECRET=" + webhookSecret,
		"SLACK_WEBHOOK_URL=" + slack.WebhookURL(),
		"SMTP_HOST=" + smtpd.Host, "SMTP_PORT=" + strconv.Itoa(smtpd.Port), "SMTP_USERNAME=" + smtpd.Username, "SMTP_PASSWORD=" + smtpd.Password,
		"INTENTALERT_RUN_TOKEN=" + runToken,
		"INTENTALERT_SLACK_CHANNEL=#biz-dev",
		"SLACK_API_URL=" + slack.APIURL(),
	}
	without := func(env []string, names ...string) []string {
		return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
			name, _, _ := strings.Cut(kv, "=")
			return slices.Contains(names, name)
		})
	}
	slackBot := append(without(base, "SLACK_WEBHOOK_URL"), "SLACK_BOT_TOKEN="+slack.Token)
	// Every channel refusing, echoing its own secrets back.
	failing := append(without(base, "INTENTALERT_WEBHOOK_URL", "SLACK_WEBHOOK_URL", "SMTP_PORT"),
		"INTENTALERT_WEBHOOK_URL="+echo.URL(), "SLACK_WEBHOOK_URL="+slackEcho.WebhookURL(), "SMTP_PORT=1")

	// A segmented (two dates, for diff) and verified working database.
	src := filepath.Join(t.TempDir(), "export.duckdb")
	res := runBin(t, env(t, base...), "demo-data", "--out", src, "--companies", "20", "--verbose")
	res.want(t, 0)
	leaks.check("demo-data", res.out, res.errOut)
	template := highCRM(t, 3, false)
	for _, d := range []string{"2024-04-29", asOfText} {
		res := runBin(t, env(t, base...), "segment", "--db", template, "--as-of", d, "--data-dir", t.TempDir(), "--verbose")
		res.want(t, 0)
		leaks.check("segment", res.out, res.errOut)
	}
	res = runBin(t, env(t, base...), "verify", "--db", template, "--data-dir", t.TempDir())
	res.want(t, 0)
	csvFile := filepath.Join(t.TempDir(), "valid_emails.csv")
	os.WriteFile(csvFile, []byte("email,is_email_valid\nc0000@acme.com,True\nc0001@acme.com,False\nc0002@acme.com,1\n"), 0o644)

	type command struct {
		name string
		env  []string
		args []string
		code int
	}
	commands := []command{
		{"init", base, []string{"init", "--src", src, "--force"}, 0},
		{"segment", base, []string{"segment", "--format", "json"}, 0},
		{"explain", base, []string{"explain", "acme.com", "--format", "json"}, 0},
		{"verify offline", base, []string{"verify", "--format", "json"}, 0},
		{"verify zerobounce", base, []string{"verify", "--provider", "zerobounce", "--zerobounce-url", zbURL, "--zerobounce-bulk-url", zbURL, "--format", "json"}, 0},
		{"verify zerobounce, key refused", base, []string{"verify", "--provider", "zerobounce", "--zerobounce-url", zbBadURL, "--zerobounce-bulk-url", zbBadURL}, exitcode.Failure},
		{"verify abstractapi", base, []string{"verify", "--provider", "abstractapi", "--abstractapi-url", abURL, "--format", "json"}, 0},
		{"verify abstractapi, server errors", base, []string{"verify", "--provider", "abstractapi", "--abstractapi-url", abBadURL, "--timeout", "2s"}, exitcode.Failure},
		{"verify csv", base, []string{"verify", "--provider", "csv", "--file", csvFile, "--format", "json"}, 0},
		{"alert, every channel", base, []string{"alert", "--format", "json", "--channel", "webhook,slack,smtp,stdout"}, 0},
		{"alert slack bot", slackBot, []string{"alert", "--channel", "slack"}, 0},
		{"alert, every channel refusing with the secrets echoed", failing, []string{"alert", "--format", "json", "--channel", "webhook,slack,smtp", "--timeout", "1s"}, exitcode.Partial},
		{"alert webhook, unreachable", append(without(base, "INTENTALERT_WEBHOOK_URL"), "INTENTALERT_WEBHOOK_URL=http://127.0.0.1:1/hook/"+hook.token),
			[]string{"alert", "--timeout", "1s"}, exitcode.Partial},
		{"alert slack, both set", append(slices.Clone(base), "SLACK_BOT_TOKEN="+slack.Token), []string{"alert", "--channel", "slack"}, exitcode.Usage},
		{"alert dry run", base, []string{"alert", "--dry-run", "--format", "json", "--channel", "webhook,slack,smtp,stdout"}, 0},
		{"alert http webhook URL", base, []string{"alert", "--webhook-url", "http://hooks.example.com/" + hook.token}, exitcode.Usage},
		{"run", base, []string{"run", "--format", "json"}, 0},
		{"config check", slackBot, []string{"config", "check"}, 0},
		{"config check json", base, []string{"config", "check", "--format", "json"}, 0},
		{"runs", base, []string{"runs", "--format", "json"}, 0},
		{"diff", base, []string{"diff", "--from", "2024-04-29", "--to", asOfText}, 0},
		{"demo-data", base, []string{"demo-data", "--out", "demo.duckdb", "--companies", "10"}, 0},
		{"segment on an unreachable PostgreSQL", append(slices.Clone(base), "INTENTALERT_DB="+pgDown), []string{"segment"}, exitcode.Failure},
		{"runs on an unreachable PostgreSQL", base, []string{"runs", "--db", pgDown}, exitcode.Failure},
	}
	if os.Getenv(crmtest.PostgresEnv) != "" {
		pg := withPassword(t, crmtest.NewPostgresDB(t), pgPassword)
		pgEnv := append(slices.Clone(base), "INTENTALERT_DB="+pg)
		// One after the other, on the same database.
		t.Run("postgres", func(t *testing.T) {
			t.Parallel()
			for _, c := range []command{
				{"init", pgEnv, []string{"init", "--src", src}, 0},
				{"segment", pgEnv, []string{"segment", "--verbose", "--log-format", "json"}, 0},
				{"verify", pgEnv, []string{"verify", "--verbose"}, 0},
				{"alert", pgEnv, []string{"alert", "--dry-run", "--verbose"}, 0},
				{"run", pgEnv, []string{"run", "--verbose", "--log-format", "json", "--channel", "stdout"}, 0},
				{"runs", pgEnv, []string{"runs", "--format", "json", "--verbose"}, 0},
				{"config check", pgEnv, []string{"config", "check", "--format", "json"}, 0},
			} {
				args := append(c.args, "--data-dir", t.TempDir())
				if takesAsOf(c.args[0]) {
					args = append(args, "--as-of", asOfText)
				}
				res := runBin(t, env(t, c.env...), args...)
				res.want(t, c.code)
				addFigure("secrets", "commands_run", 1)
				leaks.check("postgres "+c.name, res.out, res.errOut)
			}
		})
	}
	for _, c := range commands {
		// Debug logs hold everything info logs do, and JSON is the
		// production format: every command runs with --verbose
		// --log-format json; the ones that fail, whose errors carry what
		// the doubles echoed, with --verbose text logs too. The long form
		// runs every command at every level in both formats.
		variants := [][]string{{"--verbose", "--log-format", "json"}}
		if c.code != 0 || soak() {
			variants = append(variants, []string{"--verbose"})
		}
		if soak() {
			variants = append(variants, nil, []string{"--log-format", "json"})
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, v := range variants {
				name := strings.TrimSpace(c.name + " " + strings.Join(v, " "))
				dir := t.TempDir()
				db := copyFile(t, template, "db.duckdb")
				args := slices.Concat(c.args, v, []string{"--data-dir", filepath.Join(dir, "data")})
				if !slices.Contains(args, "--db") && !slices.ContainsFunc(c.env, func(kv string) bool { return strings.HasPrefix(kv, "INTENTALERT_DB=") }) {
					args = append(args, "--db", db)
				}
				if takesAsOf(c.args[0]) {
					args = append(args, "--as-of", asOfText)
				}
				if c.args[0] == "demo-data" {
					args[slices.Index(args, "demo.duckdb")] = filepath.Join(dir, "demo.duckdb")
				}
				res := runBin(t, env(t, c.env...), args...)
				res.want(t, c.code)
				addFigure("secrets", "commands_run", 1)
				leaks.check(name, res.out, res.errOut)
				if slices.Contains([]string{"alert", "verify", "run"}, c.args[0]) {
					// The tables that keep errors and answers.
					leaks.check(name+": database", dumpTables(t, db)...)
				}
				files, _ := filepath.Glob(filepath.Join(dir, "data", "*"))
				for _, f := range files {
					b, _ := os.ReadFile(f)
					leaks.check(name+": "+filepath.Base(f), string(b))
				}
			}
		})
	}
	t.Cleanup(func() {
		addFigure("secrets", "commands", float64(len(commands)))
		addFigure("secrets", "texts_checked", float64(leaks.checked))
		addFigure("secrets", "secret_forms_looked_for", float64(len(leaks.forms)))
		addFigure("secrets", "leaked", 0) // a leak fails the test: a passing run has none
	})
}

// takesAsOf reports whether the command works as of a date.
func takesAsOf(cmd string) bool {
	return slices.Contains([]string{"segment", "explain", "verify", "alert", "run"}, cmd)
}

// withPassword sets the password of a postgres:// URL.
func withPassword(t testing.TB, dsn, password string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

// dumpTables returns every row of every table of schema crm as text.
func dumpTables(t testing.TB, path string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables, out []string
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'crm'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	for _, name := range tables {
		rows, err := db.Query(`SELECT CAST(t AS VARCHAR) FROM crm."` + name + `" t`)
		if err != nil {
			t.Fatalf("dump crm.%s: %v", name, err)
		}
		for rows.Next() {
			var row string
			rows.Scan(&row)
			out = append(out, row)
		}
		rows.Close()
	}
	return out
}
