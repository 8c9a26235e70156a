package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/config"
	"github.com/intentalert/intentalert/internal/exitcode"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []config.Entry
	}{
		{"empty", "", nil},
		{"comments only", "# nothing yet\n", nil},
		{"scalars", "db: data/db.duckdb\nhigh-window-days: 7\nquiet: true\n", []config.Entry{
			{Key: "db", Values: []string{"data/db.duckdb"}, Line: 1},
			{Key: "high-window-days", Values: []string{"7"}, Line: 2},
			{Key: "quiet", Values: []string{"true"}, Line: 3},
		}},
		{"lists", "channel: [webhook, slack]\nsegments:\n  - HIGH\n  - MEDIUM\nempty: []\n", []config.Entry{
			{Key: "channel", Values: []string{"webhook", "slack"}, List: true, Line: 1},
			{Key: "segments", Values: []string{"HIGH", "MEDIUM"}, List: true, Line: 2},
			{Key: "empty", Values: []string{}, List: true, Line: 5},
		}},
		{"null is left out", "schedule:\ndb: x.duckdb\n", []config.Entry{{Key: "db", Values: []string{"x.duckdb"}, Line: 2}}},
		{"quoted keeps text", "schedule: \"0 7 * * 1-5\"\n", []config.Entry{{Key: "schedule", Values: []string{"0 7 * * 1-5"}, Line: 1}}},
		{"anchors", "a: &x 5\nb: *x\n", []config.Entry{{Key: "a", Values: []string{"5"}, Line: 1}, {Key: "b", Values: []string{"5"}, Line: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.Parse("c.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(f.Entries, tt.want) {
				t.Errorf("entries = %+v, want %+v", f.Entries, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, has string
	}{
		{"not a mapping", "- db\n", "c.yaml:1: want a mapping"},
		{"nested section", "serve:\n  listen: x\n", `c.yaml:1: key "serve": nested sections`},
		{"list of maps", "channel:\n  - name: x\n", `key "channel": a list may only hold plain values`},
		{"syntax", "db: [unclosed\n", "c.yaml"},
		{"duplicate key", "db: a\ndb: b\n", `"db"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.has) || exitcode.Of(err) != exitcode.Usage {
				t.Errorf("Parse(%q) = %v, want a usage error containing %q", tt.yaml, err, tt.has)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "nope.yaml does not exist") {
		t.Errorf("Load(missing) = %v, want a usage error naming the file", err)
	}
}

func TestCheck(t *testing.T) {
	known := map[string]config.Key{
		"db":          {Env: "INTENTALERT_DB"},
		"schedule":    {Env: "INTENTALERT_SCHEDULE"},
		"webhook-url": {Env: "INTENTALERT_WEBHOOK_URL", Secret: true},
	}
	tests := []struct {
		name, yaml string
		has        []string
	}{
		{"fine", "db: x.duckdb\nschedule: '@daily'\n", nil},
		{"unknown key with a suggestion", "db: x\nshedule: '@daily'\n", []string{`c.yaml:2: unknown key "shedule" (did you mean "schedule"?)`}},
		{"unknown key far from any", "colour: blue\n", []string{`c.yaml:1: unknown key "colour"`}},
		{"secret flag", "webhook-url: https://hooks.example/abc\n", []string{`key "webhook-url" is a secret`, "INTENTALERT_WEBHOOK_URL_FILE"}},
		{"secret variable", "ZEROBOUNCE_API_KEY: abc\n", []string{`key "ZEROBOUNCE_API_KEY" is a secret`, "ZEROBOUNCE_API_KEY_FILE"}},
		{"secret in flag style", "run-token: abc\n", []string{"INTENTALERT_RUN_TOKEN"}},
		{"password in a URL", "db: postgres://u:hunter2@db/crm\n", []string{`key "db" holds a URL with a password`}},
		{"every problem", "colour: x\nsmtp-password: y\n", []string{"colour", "SMTP_PASSWORD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := config.Parse("c.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			err = f.Check(known)
			if tt.has == nil {
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
				return
			}
			if err == nil || exitcode.Of(err) != exitcode.Usage {
				t.Fatalf("Check = %v, want a usage error", err)
			}
			for _, h := range tt.has {
				if !strings.Contains(err.Error(), h) {
					t.Errorf("Check error %q does not contain %q", err, h)
				}
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "hooks.example/abc") {
				t.Errorf("Check error shows the secret: %q", err)
			}
			var p *config.Problems
			if !errors.As(err, &p) || len(p.List) != len(tt.has) && tt.name == "every problem" {
				t.Errorf("problems = %+v", p)
			}
		})
	}
}

func TestIsSecretFlag(t *testing.T) {
	tests := []struct {
		name, env string
		want      bool
	}{
		{"webhook-url", "INTENTALERT_WEBHOOK_URL", true},
		{"slack-webhook-url", "", true},
		{"api-key", "", true},
		{"bot-token", "", true},
		{"smtp-password", "", true},
		{"api-key-file", "", false},
		{"zerobounce-url", "INTENTALERT_ZEROBOUNCE_URL", false},
		{"db", "INTENTALERT_DB", false},
		{"anything", "SLACK_BOT_TOKEN", true},
	}
	for _, tt := range tests {
		if got := config.IsSecretFlag(tt.name, tt.env); got != tt.want {
			t.Errorf("IsSecretFlag(%q, %q) = %v, want %v", tt.name, tt.env, got, tt.want)
		}
	}
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLookupSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	os.WriteFile(file, []byte("s3cret\n"), 0o600)
	tests := []struct {
		name      string
		env       map[string]string
		want      string
		sourceHas string
		errHas    string
	}{
		{"unset", nil, "", "", ""},
		{"environment", map[string]string{"X": "abc"}, "abc", "environment X", ""},
		{"file, newline dropped", map[string]string{"X_FILE": file}, "s3cret", "file " + file, ""},
		{"empty counts as unset", map[string]string{"X": "", "X_FILE": file}, "s3cret", "X_FILE", ""},
		{"both, different", map[string]string{"X": "a", "X_FILE": file}, "", "", "both X and X_FILE"},
		{"both, the same (resolved before)", map[string]string{"X": "s3cret", "X_FILE": file}, "s3cret", "file " + file, ""},
		{"unreadable file", map[string]string{"X_FILE": filepath.Join(dir, "missing")}, "", "", "X_FILE=" + filepath.Join(dir, "missing")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, src, err := config.LookupSecret(env(tt.env), "X")
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) || exitcode.Of(err) != exitcode.Usage {
					t.Errorf("LookupSecret = %v, want a usage error with %q", err, tt.errHas)
				}
				return
			}
			if err != nil || v != tt.want || !strings.Contains(src, tt.sourceHas) {
				t.Errorf("LookupSecret = %q, %q, %v; want %q from %q", v, src, err, tt.want, tt.sourceHas)
			}
			if v != "" && strings.Contains(src, v) {
				t.Errorf("source %q shows the secret", src)
			}
		})
	}
}

func TestResolveFiles(t *testing.T) {
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte("zb-key\n"), 0o600)
	got := map[string]string{}
	e := map[string]string{"ZEROBOUNCE_API_KEY_FILE": file, "SLACK_BOT_TOKEN": "direct"}
	set := func(k, v string) error { got[k] = v; return nil }
	if err := config.ResolveFiles([]string{"ZEROBOUNCE_API_KEY", "SLACK_BOT_TOKEN", "SMTP_PASSWORD"}, env(e), set); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"ZEROBOUNCE_API_KEY": "zb-key"}; !reflect.DeepEqual(got, want) {
		t.Errorf("set %v, want %v", got, want)
	}
}

func TestMask(t *testing.T) {
	tests := map[string]string{
		"":                                       "",
		"abc123":                                 config.Masked,
		"https://hooks.slack.com/services/T/B/x": "https://hooks.slack.com/" + config.Masked,
	}
	for in, want := range tests {
		if got := config.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
	if got := config.RedactURL("postgres://u:pw@h:5432/crm?sslmode=require&password=x"); strings.Contains(got, "pw@") || strings.Contains(got, "password=x") || !strings.Contains(got, "u:"+config.Masked+"@h:5432/crm?sslmode=require") {
		t.Errorf("RedactURL = %q", got)
	}
}
