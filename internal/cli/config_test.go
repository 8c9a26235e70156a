package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/exitcode"
)

// configuredChannel gives the default webhook channel the URL it needs, as
// production's environment does: config check checks the whole
// configuration, secrets included (masked).
func configuredChannel(t *testing.T) {
	t.Helper()
	t.Setenv("INTENTALERT_WEBHOOK_URL", "https://hooks.example.invalid/hook/abc-secret-path")
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "intentalert.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkJSON runs `config check --format json` and returns its settings by key.
func checkJSON(t *testing.T, args ...string) (map[string]setting, configReport) {
	t.Helper()
	r := mainCLI(context.Background(), append([]string{"config", "check", "--format", "json"}, args...)...)
	r.expect(t, 0)
	var rep configReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("config check output: %v\n%s", err, r.out)
	}
	byKey := map[string]setting{}
	for _, s := range rep.Settings {
		byKey[s.Key] = s
	}
	return byKey, rep
}

// Precedence: flag > environment > file > default, for global flags and for
// the flags of commands.
func TestConfigPrecedence(t *testing.T) {
	configuredChannel(t)
	file := writeConfig(t, "data-dir: from-file\nlog-format: json\nschedule: '0 6 * * *'\nlisten: 127.0.0.1:9999\nhigh-window-days: 3\n")
	t.Setenv("INTENTALERT_CONFIG", file)
	t.Setenv("INTENTALERT_LOG_FORMAT", "text")
	t.Setenv("INTENTALERT_LISTEN", "127.0.0.1:8888")

	got, rep := checkJSON(t, "--data-dir", "from-flag")
	if rep.File != file {
		t.Errorf("config file %q, want %q (from INTENTALERT_CONFIG)", rep.File, file)
	}
	tests := []struct {
		key, value, source string
	}{
		{"data-dir", "from-flag", "flag"},                            // flag over file
		{"log-format", "text", "environment INTENTALERT_LOG_FORMAT"}, // environment over file
		{"listen", "127.0.0.1:8888", "environment INTENTALERT_LISTEN"},
		{"schedule", "0 6 * * *", "file " + file + ":3"}, // file over default
		{"time-zone", "UTC", "default"},
		{"db", "data/db.duckdb", "default"},
	}
	for _, tt := range tests {
		s := got[tt.key]
		if s.Value != tt.value || s.Source != tt.source {
			t.Errorf("%s = %v from %q, want %q from %q", tt.key, s.Value, s.Source, tt.value, tt.source)
		}
	}
	if s := got["high-window-days"]; s.Value != float64(3) || !strings.HasPrefix(s.Source, "file ") {
		t.Errorf("high-window-days = %v from %q, want 3 from the file", s.Value, s.Source)
	}
	if s := got["schedule"]; len(s.Commands) != 1 || s.Commands[0] != "serve" {
		t.Errorf("schedule is used by %v, want [serve]", s.Commands)
	}
}

// The file really configures commands, below the environment and flags.
func TestConfigFileDrivesCommands(t *testing.T) {
	configuredChannel(t)
	db := pipelineFixture(t)
	// A one-day HIGH window: h's visit (04-28) no longer counts, so h is MEDIUM.
	file := writeConfig(t, "db: "+db+"\nas-of: 2024-04-30\ndata-dir: "+t.TempDir()+"\nhigh-window-days: 1\nquiet: true\n")
	counts := func(r cliResult) string {
		t.Helper()
		r.expect(t, 0)
		var rep struct {
			Counts map[string]int `json:"counts"`
		}
		if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
			t.Fatalf("segment output: %v\n%s", err, r.out)
		}
		return fmt.Sprintf("%d/%d/%d", rep.Counts["HIGH"], rep.Counts["MEDIUM"], rep.Counts["LOW"])
	}
	if got := counts(mainCLI(context.Background(), "segment", "--config", file, "--format", "json")); got != "0/2/1" {
		t.Errorf("with the file's window: HIGH/MEDIUM/LOW = %s, want 0/2/1", got)
	}
	t.Setenv("INTENTALERT_HIGH_WINDOW_DAYS", "7")
	if got := counts(mainCLI(context.Background(), "segment", "--config", file, "--format", "json")); got != "1/1/1" {
		t.Errorf("environment over file: HIGH/MEDIUM/LOW = %s, want 1/1/1", got)
	}
	if got := counts(mainCLI(context.Background(), "segment", "--config", file, "--format", "json", "--high-window-days", "1")); got != "0/2/1" {
		t.Errorf("flag over environment: HIGH/MEDIUM/LOW = %s, want 0/2/1", got)
	}
}

func TestConfigErrors(t *testing.T) {
	configuredChannel(t)
	db := pipelineFixture(t)
	tests := []struct {
		name, yaml string
		args       []string
		has        []string
	}{
		{"unknown key, any command", "db: x.duckdb\nshedule: '@daily'\n", []string{"segment"}, []string{`:2: unknown key "shedule"`, `did you mean "schedule"`}},
		{"unknown key in config check", "colour: blue\n", []string{"config", "check"}, []string{`unknown key "colour"`}},
		{"secret flag in the file", "webhook-url: https://example.invalid/hook/abc\n", []string{"config", "check"}, []string{`key "webhook-url" is a secret`}},
		{"secret variable in the file", "zerobounce_api_key: zb-123\n", []string{"config", "check"}, []string{"ZEROBOUNCE_API_KEY_FILE"}},
		{"password in the database URL", "db: postgres://app:hunter2@db.internal/crm\n", []string{"config", "check"}, []string{`key "db" holds a URL with a password`}},
		{"bad value", "high-window-days: seven\n", []string{"segment", "--db", db}, []string{`key "high-window-days"`, "seven"}},
		{"list for a single value", "db: [a, b]\n", []string{"segment"}, []string{`key "db": takes one value`}},
		{"nested section", "serve:\n  listen: x\n", []string{"config", "check"}, []string{"nested sections"}},
		{"bad schedule", "schedule: every morning\n", []string{"config", "check"}, []string{"--schedule"}},
		{"bad time zone", "time-zone: Mars/Olympus\n", []string{"config", "check"}, []string{"--time-zone", "Mars/Olympus"}},
		{"bad listen address", "listen: 9464\n", []string{"config", "check"}, []string{"--listen"}},
		{"bad window for run", "high-window-days: 0\n", []string{"config", "check"}, []string{"--high-window-days"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeConfig(t, tt.yaml)
			r := mainCLI(context.Background(), append(tt.args, "--config", file)...)
			r.expect(t, exitcode.Usage, tt.has...)
			for _, secret := range []string{"hunter2", "zb-123", "hook/abc"} {
				if strings.Contains(r.errOut+r.out, secret) {
					t.Errorf("output shows the secret %q: %s", secret, r.errOut)
				}
			}
		})
	}
	mainCLI(context.Background(), "config", "check", "--config", filepath.Join(t.TempDir(), "missing.yaml")).expect(t, exitcode.Usage, "missing.yaml does not exist")
}

func TestConfigCheckMasksSecrets(t *testing.T) {
	secrets := map[string]string{
		"INTENTALERT_WEBHOOK_URL":    "https://hooks.example.invalid/hook/abc-secret-path",
		"ZEROBOUNCE_API_KEY":         "zb-secret-0123456789",
		"SLACK_WEBHOOK_URL":          "https://hooks.slack.com/services/T0001/B0001/XXXXsecretXXXX",
		"INTENTALERT_WEBHOOK_SECRET": "hmac-secret-abcdef",
		"INTENTALERT_DB":             "postgres://app:pg-password-42@db.internal:5432/crm",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("run-token-from-file\n"), 0o600)
	t.Setenv("INTENTALERT_RUN_TOKEN", "") // restored after the test, whatever the command sets
	t.Setenv("INTENTALERT_RUN_TOKEN_FILE", tokenFile)

	for _, format := range []string{"text", "json"} {
		r := mainCLI(context.Background(), "config", "check", "--format", format)
		r.expect(t, 0)
		all := r.out + r.errOut
		for name, v := range secrets {
			for _, part := range []string{v, "secret-0123", "XXXXsecretXXXX", "pg-password-42", "hmac-secret", "abc-secret-path"} {
				if strings.Contains(v, part) && strings.Contains(all, part) {
					t.Errorf("%s output shows %s (%q):\n%s", format, name, part, all)
				}
			}
		}
		if strings.Contains(all, "run-token-from-file") {
			t.Errorf("%s output shows the run token", format)
		}
		for _, want := range []string{"ZEROBOUNCE_API_KEY", "https://hooks.slack.com/********", "https://hooks.example.invalid/********", "INTENTALERT_RUN_TOKEN", tokenFile, "app:********@db.internal:5432/crm"} {
			if !strings.Contains(r.out, want) {
				t.Errorf("%s output lacks %q:\n%s", format, want, r.out)
			}
		}
	}
	r := mainCLI(context.Background(), "config", "check")
	for _, want := range []string{"SMTP_PASSWORD", "not set", "******** from environment ZEROBOUNCE_API_KEY"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("text output lacks %q:\n%s", want, r.out)
		}
	}
}

// The example configuration in the repository only holds valid keys and
// values.
func TestExampleConfigIsValid(t *testing.T) {
	configuredChannel(t)
	t.Setenv("ZEROBOUNCE_API_KEY", "zb-test-key") // the example verifies with ZeroBounce
	got, rep := checkJSON(t, "--config", "../../intentalert.example.yaml")
	if rep.File == "" {
		t.Fatal("no config file reported")
	}
	fromFile := 0
	for _, s := range got {
		if strings.HasPrefix(s.Source, "file ") {
			fromFile++
		}
	}
	for _, k := range []string{"provider", "channel", "schedule", "time-zone", "verify-concurrency", "alert-concurrency", "max-alerts"} {
		if !strings.HasPrefix(got[k].Source, "file ") {
			t.Errorf("%s comes from %q, want the example file", k, got[k].Source)
		}
	}
	if fromFile < 5 {
		t.Errorf("only %d settings come from the example file", fromFile)
	}
}

// A secret given as NAME_FILE reaches the code that reads NAME.
func TestSecretFilesResolveIntoTheEnvironment(t *testing.T) {
	configuredChannel(t)
	keyFile := filepath.Join(t.TempDir(), "zb")
	os.WriteFile(keyFile, []byte("zb-from-file\n"), 0o600)
	t.Setenv("ZEROBOUNCE_API_KEY", "")
	t.Setenv("ZEROBOUNCE_API_KEY_FILE", keyFile)
	mainCLI(context.Background(), "config", "check").expect(t, 0)
	if got := os.Getenv("ZEROBOUNCE_API_KEY"); got != "zb-from-file" {
		t.Errorf("ZEROBOUNCE_API_KEY = %q, want the file's content", got)
	}
	t.Setenv("ZEROBOUNCE_API_KEY", "both")
	mainCLI(context.Background(), "config", "check").expect(t, exitcode.Usage, "both ZEROBOUNCE_API_KEY and ZEROBOUNCE_API_KEY_FILE")
}
